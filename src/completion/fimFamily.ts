import { BUILTIN_FIM_TEMPLATES, isFimFamily, type FimFamily, type FimTemplate } from './fimTemplates';

/** Name patterns first (a fine-tune keeps its base's name), then the config's `model_type`. */
const BY_NAME: readonly (readonly [RegExp, FimFamily])[] = [
  [/^autoglm[-_ ]?coder/i, 'autoglm-coder'],
  [/codestral/i, 'codestral'],
  [/deepseek[-_ ]?coder/i, 'deepseek-coder'],
  [/starcoder/i, 'starcoder2'],
  [/code[-_ ]?llama/i, 'codellama'],
  [/qwen.*coder|coder.*qwen/i, 'qwen2.5-coder'],
];

const BY_MODEL_TYPE: Readonly<Record<string, FimFamily>> = {
  qwen2: 'qwen2.5-coder',
  starcoder2: 'starcoder2',
  gpt_bigcode: 'starcoder2',
  mistral: 'codestral',
};

/**
 * The fill-in-the-middle family of a model from its name and its config's `model_type`, or
 * undefined when neither says. `override` is the setting: a family id wins, 'auto' or '' defers.
 */
export function detectFimFamily(modelName: string, configModelType?: string, override?: string): FimFamily | undefined {
  if (override !== undefined && isFimFamily(override)) {
    return override;
  }
  for (const [pattern, family] of BY_NAME) {
    if (pattern.test(modelName)) {
      return family;
    }
  }
  if (configModelType !== undefined) {
    const byType = BY_MODEL_TYPE[configModelType.toLowerCase()];
    if (byType !== undefined) {
      return byType;
    }
    if (/llama/i.test(configModelType) && /code/i.test(modelName)) {
      return 'codellama';
    }
    if (/deepseek/i.test(configModelType)) {
      return 'deepseek-coder';
    }
  }
  return undefined;
}

/**
 * The template to use: one from `available` (prompt packs, when the host passes them) under
 * the detected family id, else the built-in renderer, else Qwen2.5-Coder's format, which the
 * bundled model was trained on.
 */
export function resolveFimTemplate(modelName: string, configModelType: string | undefined, override: string | undefined, available: Readonly<Record<string, FimTemplate>> = {}): FimTemplate {
  if (override !== undefined && available[override] !== undefined) {
    return available[override];
  }
  const family = detectFimFamily(modelName, configModelType, override) ?? 'qwen2.5-coder';
  return available[family] ?? BUILTIN_FIM_TEMPLATES[family];
}
