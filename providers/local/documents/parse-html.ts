import { parseDocument } from 'htmlparser2';
import type { ChildNode, Element } from 'domhandler';
import { titleOf, type Block } from './document-types.ts';

const skipped = new Set(['script', 'style', 'noscript', 'template', 'head', 'svg', 'nav', 'footer']);
const blockContainers = new Set(['div', 'section', 'article', 'main', 'body', 'html', 'header', 'aside', 'blockquote', 'figure', 'ul', 'ol', 'dl']);

function textOf(node: ChildNode): string {
  if (node.type === 'text') return (node as unknown as { data: string }).data;
  if ('children' in node) {
    const element = node as Element;
    if (skipped.has(element.name)) return '';
    if (element.name === 'br') return '\n';
    return element.children.map(textOf).join('');
  }
  return '';
}

const inline = new Set(['a', 'b', 'i', 'em', 'strong', 'span', 'code', 'small', 'sub', 'sup', 'u', 'mark', 'abbr', 'cite', 'q', 'time', 'label', 'img', 'br', 's', 'kbd', 'var']);

/** A container holding only text and inline elements reads as one paragraph. */
function isInlineOnly(element: Element): boolean {
  return element.children.every((child) => child.type === 'text' || child.type === 'comment' || (child.type === 'tag' && inline.has((child as Element).name)));
}

const clean = (text: string) => text.replace(/[ \t\r\f\v]+/g, ' ').replace(/ *\n */g, '\n').trim();

function tableText(table: Element): string {
  const rows: string[] = [];
  const visit = (node: ChildNode) => {
    if (node.type !== 'tag') return;
    const element = node as Element;
    if (element.name === 'tr') {
      rows.push(element.children.filter((cell) => cell.type === 'tag' && ['td', 'th'].includes((cell as Element).name)).map((cell) => clean(textOf(cell))).join('\t'));
    } else element.children.forEach(visit);
  };
  table.children.forEach(visit);
  return rows.join('\n');
}

/** HTML (and DOCX, through its HTML) into blocks: headings with levels, paragraphs, list items, tables, code. */
export function parseHtml(html: string): { blocks: Block[]; title: string | null } {
  const document = parseDocument(html);
  const blocks: Block[] = [];
  let pageTitle: string | null = null;
  const push = (block: Block) => {
    if (block.text.length > 0) blocks.push(block);
  };
  const walk = (node: ChildNode) => {
    if (node.type === 'text') {
      push({ type: 'paragraph', text: clean(textOf(node)) });
      return;
    }
    if (node.type !== 'tag' && node.type !== 'root' && node.type !== 'script' && node.type !== 'style') return;
    const element = node as Element;
    const name = element.name;
    if (name === 'head') {
      const title = element.children.find((child) => child.type === 'tag' && (child as Element).name === 'title');
      if (title) pageTitle = clean((title as Element).children.map(textOf).join('')) || null;
    }
    if (skipped.has(name)) return;
    const heading = /^h([1-6])$/.exec(name);
    if (heading) push({ type: 'heading', level: Number(heading[1]), text: clean(textOf(element)) });
    else if (name === 'li') push({ type: 'list_item', text: clean(textOf(element)) });
    else if (name === 'table') push({ type: 'table', text: tableText(element) });
    else if (name === 'pre') push({ type: 'code', text: textOf(element).replace(/\n+$/, '') });
    else if (name === 'p' || name === 'dt' || name === 'dd' || name === 'figcaption') push({ type: 'paragraph', text: clean(textOf(element)) });
    else if (blockContainers.has(name) && !(name !== 'body' && name !== 'html' && isInlineOnly(element) && !['ul', 'ol', 'dl'].includes(name))) element.children?.forEach(walk);
    else if (blockContainers.has(name)) push({ type: 'paragraph', text: clean(textOf(element)) });
    else push({ type: 'paragraph', text: clean(textOf(element)) });
  };
  document.children.forEach(walk);
  return { blocks, title: pageTitle ?? titleOf(blocks) };
}
