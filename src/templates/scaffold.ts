import { ID_PATTERN } from './frontMatter';

/** Text of a new template in the standard structure (role, task, output requirements, constraints). */
export function scaffoldTemplate(id: string, title: string): string {
  if (!ID_PATTERN.test(id)) {
    throw new Error(`'${id}' is not a template id: use lower-case letters, digits, dots, dashes and underscores`);
  }
  const yamlTitle = JSON.stringify(title);
  return `---
id: ${id}
title: ${yamlTitle}
description: What this template is for
version: 0.1.0
kind: command
slash: ${id.replace(/[^a-z0-9-]/g, '-').replace(/^[^a-z]+/, '') || 'custom'}
variables:
  - name: selection
    type: code
    required: true
    description: The code the request is about
  - name: language
    type: string
    default: plaintext
    description: Language id of the code
params:
  temperature: 0.2
---
{{#> role}}
You are a senior software engineer on this team.
{{/role}}
{{#> task}}
Describe the task here.

{{codeBlock selection language}}
{{/task}}
{{#> output}}
- Describe the expected answer here.
{{/output}}
{{#> constraints}}
- Add the team's rules here.
{{/constraints}}
`;
}

/** pack.json of a new workspace pack. */
export function scaffoldManifest(name: string): string {
  return `${JSON.stringify({ name, version: '0.1.0', description: 'Prompt templates shared by this repository', engines: { autoglm: '>=0.1.0' } }, null, 2)}\n`;
}
