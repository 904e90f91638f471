import { marked, type Token, type Tokens } from 'marked';
import type { Block } from './document-types.ts';

/** Markdown into blocks with marked's lexer: headings keep their level, lists become items, fences code. */
export function parseMarkdown(markdown: string): Block[] {
  const blocks: Block[] = [];
  const plain = (text: string) => text.replace(/[*_`~]+/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').trim();
  const walk = (tokens: Token[]) => {
    for (const token of tokens) {
      switch (token.type) {
        case 'heading':
          blocks.push({ type: 'heading', level: (token as Tokens.Heading).depth, text: plain((token as Tokens.Heading).text) });
          break;
        case 'paragraph':
          blocks.push({ type: 'paragraph', text: plain((token as Tokens.Paragraph).text) });
          break;
        case 'list':
          for (const item of (token as Tokens.List).items) blocks.push({ type: 'list_item', text: plain(item.text) });
          break;
        case 'code':
          blocks.push({ type: 'code', text: (token as Tokens.Code).text });
          break;
        case 'table': {
          const table = token as Tokens.Table;
          const rows = [table.header.map((cell) => plain(cell.text)), ...table.rows.map((row) => row.map((cell) => plain(cell.text)))];
          blocks.push({ type: 'table', text: rows.map((row) => row.join('\t')).join('\n') });
          break;
        }
        case 'blockquote':
          walk((token as Tokens.Blockquote).tokens);
          break;
        case 'text':
          if (token.raw.trim()) blocks.push({ type: 'paragraph', text: plain(token.raw) });
          break;
        default:
          break;
      }
    }
  };
  walk(marked.lexer(markdown));
  return blocks.filter((block) => block.text.length > 0);
}

/** Plain text: paragraphs are separated by blank lines. */
export function parseText(text: string): Block[] {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean)
    .map((paragraph) => ({ type: 'paragraph' as const, text: paragraph }));
}
