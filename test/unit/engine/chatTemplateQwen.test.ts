import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../../src/engine';
import { ChatTemplate } from '../../../src/engine/chatTemplate';
import { readModelFolder } from '../../../src/engine/modelFolder';
import { TemplateSandbox } from '../../../src/engine/templateSandbox';
import { MODEL_DIR, modelPresent } from './modelFixture';

/** Real templates and a transformers-rendered conversation; sources in fixtures/chatTemplates/PROVENANCE.md. */
const FIXTURES = path.join(__dirname, 'fixtures', 'chatTemplates');
const QWEN25 = readFileSync(path.join(FIXTURES, 'qwen2.5-instruct.jinja'), 'utf8');
const QWEN3 = readFileSync(path.join(FIXTURES, 'qwen3.jinja'), 'utf8');
const QWEN25_TOOLS = JSON.parse(readFileSync(path.join(FIXTURES, 'qwen2.5-instruct-tools.json'), 'utf8')) as { data: Record<string, unknown>; target: string };

const TOOL = {
  type: 'function',
  function: {
    name: 'read_file',
    description: 'Read a file of the workspace.',
    parameters: { type: 'object', properties: { path: { type: 'string', description: 'Relative path' } }, required: ['path'] },
  },
};
/** The tool as Python's json.dumps writes it, which the templates' `tojson` must match. */
const TOOL_JSON =
  '{"type": "function", "function": {"name": "read_file", "description": "Read a file of the workspace.", "parameters": {"type": "object", "properties": {"path": {"type": "string", "description": "Relative path"}}, "required": ["path"]}}}';
const TOOLS_BLOCK =
  '# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n' +
  TOOL_JSON +
  '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n';
const QWEN_DEFAULT_SYSTEM = 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.';

const template = (source: string, file = 'tokenizer_config.json'): ChatTemplate => ChatTemplate.create(file, source, {})!;

describe('Qwen2.5 Instruct chat template', function () {
  this.timeout(60_000);

  it('renders a conversation with tools, tool calls and tool responses exactly as transformers does', () => {
    const sandbox = new TemplateSandbox();
    try {
      const result = sandbox.render(QWEN25, QWEN25_TOOLS.data, 1 << 20);
      assert.deepEqual(result, { kind: 'ok', text: QWEN25_TOOLS.target });
    } finally {
      sandbox.stop();
    }
  });

  it('without tools: the default system turn when the conversation has none, then ChatML turns', () => {
    const text = template(QWEN25).render([
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'Hi!' },
      { role: 'user', content: 'Write a function.' },
    ]);
    assert.equal(
      text,
      `<|im_start|>system\n${QWEN_DEFAULT_SYSTEM}<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi!<|im_end|>\n<|im_start|>user\nWrite a function.<|im_end|>\n<|im_start|>assistant\n`,
    );
  });

  it('with tools: the system turn lists them after the system message', () => {
    const text = template(QWEN25).render(
      [
        { role: 'system', content: 'You are a coding assistant.' },
        { role: 'user', content: 'Open main.ts' },
      ],
      { tools: [TOOL] },
    );
    assert.equal(text, `<|im_start|>system\nYou are a coding assistant.\n\n${TOOLS_BLOCK}<|im_start|>user\nOpen main.ts<|im_end|>\n<|im_start|>assistant\n`);
  });

  it('with tools and no system message: the default system text comes first; an empty tools list is no tools', () => {
    const messages = [{ role: 'user', content: 'Open main.ts' }];
    assert.equal(template(QWEN25).render(messages, { tools: [TOOL] }), `<|im_start|>system\n${QWEN_DEFAULT_SYSTEM}\n\n${TOOLS_BLOCK}<|im_start|>user\nOpen main.ts<|im_end|>\n<|im_start|>assistant\n`);
    assert.equal(template(QWEN25).render(messages, { tools: [] }), template(QWEN25).render(messages));
  });
});

describe('Qwen3 chat template', function () {
  this.timeout(60_000);

  it('without tools and without a system message: no system turn', () => {
    const text = template(QWEN3).render([{ role: 'user', content: 'Give me a short introduction to large language model.' }]);
    assert.equal(text, '<|im_start|>user\nGive me a short introduction to large language model.<|im_end|>\n<|im_start|>assistant\n');
  });

  it('drops the reasoning of assistant turns before the last question', () => {
    const text = template(QWEN3).render([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is 2+2?' },
      { role: 'assistant', content: '<think>\nAdd them.\n</think>\n\n4' },
      { role: 'user', content: 'And 3+3?' },
    ]);
    assert.equal(
      text,
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('with tools: the system turn holds the system message, then the tools', () => {
    const text = template(QWEN3).render(
      [
        { role: 'system', content: 'You are a coding assistant.' },
        { role: 'user', content: 'Open main.ts' },
      ],
      { tools: [TOOL] },
    );
    assert.equal(text, `<|im_start|>system\nYou are a coding assistant.\n\n${TOOLS_BLOCK}<|im_start|>user\nOpen main.ts<|im_end|>\n<|im_start|>assistant\n`);
  });

  it('with tools and no system message: the tools alone make the system turn', () => {
    const text = template(QWEN3).render([{ role: 'user', content: 'Open main.ts' }], { tools: [TOOL] });
    assert.equal(text, `<|im_start|>system\n${TOOLS_BLOCK}<|im_start|>user\nOpen main.ts<|im_end|>\n<|im_start|>assistant\n`);
  });
});

(modelPresent ? describe : describe.skip)('chat_template.jinja beside tokenizer_config.json (skipped without the bundled model)', function () {
  this.timeout(300_000);
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-jinja-'));
    await fs.cp(MODEL_DIR, dir, { recursive: true });
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function withoutInlineTemplate(): Promise<void> {
    const file = path.join(dir, 'tokenizer_config.json');
    const config = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    delete config['chat_template'];
    await fs.writeFile(file, JSON.stringify(config));
  }

  it('is read when tokenizer_config.json has no chat_template (as current transformers saves models)', async () => {
    await withoutInlineTemplate();
    await fs.writeFile(path.join(dir, 'chat_template.jinja'), QWEN3);
    const folder = await readModelFolder(dir);
    assert.deepEqual(folder.chatTemplate, { file: path.join(dir, 'chat_template.jinja'), source: QWEN3 });
  });

  it('wins over tokenizer_config.json chat_template when both exist, as in transformers', async () => {
    await fs.writeFile(path.join(dir, 'chat_template.jinja'), QWEN25);
    const folder = await readModelFolder(dir);
    assert.equal(folder.chatTemplate?.source, QWEN25);
  });

  it('no template in either place: none', async () => {
    await withoutInlineTemplate();
    assert.equal((await readModelFolder(dir)).chatTemplate, undefined);
  });

  it('the engine renders chat with it', async () => {
    await withoutInlineTemplate();
    await fs.writeFile(path.join(dir, 'chat_template.jinja'), QWEN25);
    const engine = await Engine.load({ modelDir: dir, variant: 'fp32', provider: 'cpu' });
    try {
      assert.equal(engine.model.hasChatTemplate, true);
      assert.equal(
        engine.renderChat([{ role: 'user', content: 'Hello' }], { tools: [TOOL] }),
        `<|im_start|>system\n${QWEN_DEFAULT_SYSTEM}\n\n${TOOLS_BLOCK}<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n`,
      );
    } finally {
      await engine.dispose();
    }
  });
});
