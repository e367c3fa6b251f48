/**
 * The code names a chat message mentions: identifiers shaped like code (`priceOf`, `CartItem`,
 * `MAX_ITEMS`, `cart_total`), any name in backticks, and file names (`cart.ts`). Plain words are
 * left alone, so that an English sentence names nothing.
 */

export interface MentionedNames {
  /** Identifiers, those in backticks first, each once. */
  symbols: string[];
  /** File names with a known source extension, each once. */
  files: string[];
}

const BACKTICKED = /`([^`\n]{1,80})`/g;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** camelCase (`priceOf`), PascalCase with two humps (`CartItem`), snake_case and SCREAMING_CASE. */
const CODE_SHAPED = /(?<![\w$.])(?:[a-z][a-z0-9]*[A-Z][\w$]*|[A-Z][a-z0-9]+[A-Z][a-z0-9][\w$]*|[A-Za-z][A-Za-z0-9]*_[\w$]+)(?![\w$])/g;
const FILE_NAME = /(?<![\w.-])[\w-]+(?:\.[\w-]+)*\.(?:ts|tsx|js|jsx|mjs|cjs|py|rs|go|java|kt|cs|cpp|cc|c|h|hpp|rb|php|swift|scala|lua|vue|svelte|json|yaml|yml|toml|md|css|scss|html|sql|sh)(?![\w.])/g;

/** `Cart.total` in backticks names `Cart` and `total`; a call `priceOf()` names `priceOf`. */
function namesInBackticks(code: string): string[] {
  return code
    .replace(/\(.*\)$/, '')
    .split(/[.:#]+/)
    .filter((part) => IDENTIFIER.test(part));
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

export function mentionedNames(text: string): MentionedNames {
  const files = unique([...text.matchAll(FILE_NAME)].map((m) => m[0]));
  const ticked = [...text.matchAll(BACKTICKED)].flatMap((m) => (files.includes(m[1]!) ? [] : namesInBackticks(m[1]!)));
  const withoutFiles = files.reduce((rest, f) => rest.split(f).join(' '), text);
  const shaped = [...withoutFiles.matchAll(CODE_SHAPED)].map((m) => m[0]);
  return { symbols: unique([...ticked, ...shaped]), files };
}
