// Lint rules, including the import boundaries of the architecture (see README "Architecture").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const folders = ['common', 'engine', 'service', 'backends', 'completion', 'chat', 'templates', 'protocol', 'host', 'webview', 'cli', 'models', 'codeIndex', 'agent'];
const others = (...allowed) => folders.filter((f) => !allowed.includes(f));
const folderPatterns = (list) => list.flatMap((f) => [`../${f}`, `../${f}/*`, `../../${f}`, `../../${f}/*`]);

/** One no-restricted-imports rule per folder: which packages and sibling folders it may not use. */
function boundary(files, { packages = [], folders: denied = [] }) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: packages.map((name) => ({ name, message: `'${name}' may not be imported here (architecture boundary).` })),
          patterns: denied.length > 0 ? [{ group: folderPatterns(denied), message: 'This folder may not depend on that one (architecture boundary).' }] : [],
        },
      ],
    },
  };
}

const editorOnly = ['vscode'];
const engineOnly = ['onnxruntime-node'];
const templatesOnly = ['handlebars'];

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'tools/vscode/**', 'tools/model/work/**', 'test-results/**', '.cache/**', 'test/fixtures/codeIndex/**', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  boundary(['src/common/**/*.ts'], { packages: [...editorOnly, ...engineOnly, ...templatesOnly], folders: others('common') }),
  boundary(['src/engine/**/*.ts'], { packages: [...editorOnly, ...templatesOnly], folders: others('common', 'engine', 'protocol') }),
  boundary(['src/templates/**/*.ts'], { packages: [...editorOnly, ...engineOnly], folders: ['host', 'webview', 'engine', 'service'] }),
  boundary(['src/completion/**/*.ts', 'src/chat/**/*.ts'], { packages: [...editorOnly, ...engineOnly, ...templatesOnly], folders: ['host', 'webview', 'engine', 'service'] }),
  boundary(['src/codeIndex/**/*.ts'], { packages: [...editorOnly, ...engineOnly, ...templatesOnly], folders: others('codeIndex', 'common') }),
  boundary(['src/agent/**/*.ts'], { packages: [...editorOnly, ...engineOnly, ...templatesOnly], folders: others('agent', 'common', 'protocol') }),
  boundary(['src/models/**/*.ts'], { packages: [...editorOnly, ...engineOnly, ...templatesOnly], folders: others('models', 'common', 'protocol') }),
  boundary(['src/protocol/**/*.ts'], { packages: [...editorOnly, ...engineOnly, ...templatesOnly], folders: others('protocol', 'common') }),
  boundary(['src/webview/**/*.ts'], { packages: [...editorOnly, ...engineOnly, ...templatesOnly], folders: others('webview', 'protocol') }),
  boundary(['src/service/**/*.ts', 'src/backends/**/*.ts', 'src/cli/**/*.ts'], { packages: [...editorOnly, ...engineOnly, ...templatesOnly], folders: ['host', 'webview'] }),
  boundary(['src/host/**/*.ts', 'src/extension.ts'], { packages: [...engineOnly, ...templatesOnly], folders: ['webview'] }),
  {
    files: ['src/webview/**/*.ts'],
    languageOptions: { parserOptions: { projectService: false, project: ['src/webview/tsconfig.json'] } },
  },
);
