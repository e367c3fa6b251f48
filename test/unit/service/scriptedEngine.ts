/**
 * An engine double for tests of the service's tool plumbing: the bundled model's real chat
 * template renders the prompt, and the output is scripted (so that a call comes back whatever
 * the model would write). It records the requests it was given.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Engine, GenerateEvent, GenerateRequest } from '../../../src/engine';
import { ChatTemplate } from '../../../src/engine/chatTemplate';
import { modelDir } from './serviceProcess';

/**
 * What the scripted model writes: a call while the last turn is the user's question and tools are
 * offered, an answer once a tool result came back, JSON when a response format is asked for.
 */
export function scriptedAnswer(request: GenerateRequest): string {
  const prompt = String(request.prompt);
  if (request.responseFormat !== undefined) return '{"city": "Paris", "temp": 21}';
  if (prompt.includes('<tool_response>')) return 'It is 21 degrees in Paris.';
  if (request.constraint?.kind === 'tool-calls') return 'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
  return 'No tools here.';
}

/** An engine double: the bundled model's chat template, scripted output in small pieces, the requests it was given. */
export function scriptedEngine(asked: GenerateRequest[]): Engine {
  const config = JSON.parse(readFileSync(path.join(modelDir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  const template = ChatTemplate.create('tokenizer_config.json', config['chat_template'], config)!;
  const double = {
    model: { name: 'scripted', provider: 'cpu', variant: 'q4', config: { modelType: 'qwen2' }, contextLength: 2048 },
    supportsForcedPrefix: true,
    renderChat: (messages: Parameters<Engine['renderChat']>[0], options: Parameters<Engine['renderChat']>[1]) => template.render(messages, options),
    generate(request: GenerateRequest): AsyncIterable<GenerateEvent> {
      asked.push(request);
      const text = scriptedAnswer(request);
      const pieces = text.match(/[\s\S]{1,5}/g) ?? [];
      return (async function* () {
        for (const [i, piece] of pieces.entries()) yield { type: 'delta', text: piece, tokenIds: [i] } satisfies GenerateEvent;
        const stats = { promptTokens: 30, reusedTokens: 0, generatedTokens: pieces.length, timeToFirstTokenMs: 1, tokensPerSecond: 1, stopReason: 'stop-token' as const, prefilledTokens: 30, queueMs: 0, totalMs: 2 };
        yield { type: 'done', text, tokenIds: pieces.map((_, i) => i), stats } satisfies GenerateEvent;
      })();
    },
    whenIdle: async () => undefined,
    dispose: async () => undefined,
  };
  return double as unknown as Engine;
}

