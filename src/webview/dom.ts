/** Element builders shared by the chat view's parts. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; title?: string; attrs?: Record<string, string> } = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title) node.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

export function iconButton(icon: string, label: string, onClick: () => void, extraClass = ''): HTMLButtonElement {
  const b = el('button', { className: `icon-button ${extraClass}`.trim(), title: label, attrs: { type: 'button', 'aria-label': label } }, [el('span', { className: `codicon codicon-${icon}`, attrs: { 'aria-hidden': 'true' } })]);
  b.addEventListener('click', onClick);
  return b;
}
