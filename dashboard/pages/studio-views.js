// How Studio shows answers: similarity matrix, score meters, chunks over their source text.
import { h } from '../dom.js';

function cosine(a, b) {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index] * b[index];
    normA += a[index] * a[index];
    normB += b[index] * b[index];
  }
  return dot / (Math.sqrt(normA) * Math.sqrt(normB) || 1);
}

const short = (text, length = 28) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);

/** Cosine similarity of every pair of inputs, shaded by value. */
export function similarityTable(inputs, vectors) {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'similarity' },
      h('caption', {}, 'Cosine similarity between inputs'),
      // Columns by number, rows by number and text: the matrix stays narrow enough for a phone.
      h('thead', {}, h('tr', {}, h('td', {}), inputs.map((text, index) => h('th', { scope: 'col', title: text, 'aria-label': text }, `#${index + 1}`)))),
      h(
        'tbody',
        {},
        vectors.map((row, rowIndex) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row', title: inputs[rowIndex] }, `#${rowIndex + 1} ${short(inputs[rowIndex], 24)}`),
            vectors.map((column) => {
              const value = cosine(row, column);
              return h('td', { style: { '--strength': Math.max(0, value).toFixed(3) } }, value.toFixed(3));
            }),
          ),
        ),
      ),
    ),
  );
}

/** A labelled score from 0 to 1. */
export function scoreRow(label, score, extra) {
  return h(
    'li',
    { class: 'score' },
    h('span', { class: 'score-label' }, label, extra ? [' ', extra] : null),
    h('meter', { min: '0', max: '1', value: String(score), 'aria-label': `${label} score` }),
    h('span', { class: 'score-value' }, score.toFixed(3)),
  );
}

/**
 * The source text with each chunk's span marked; where chunks overlap the text is marked as
 * shared. Chunk offsets are character offsets into the text that was sent.
 */
export function chunksOverText(text, chunks) {
  const cuts = new Set([0, text.length]);
  for (const chunk of chunks) {
    cuts.add(chunk.start);
    cuts.add(chunk.end);
  }
  const points = [...cuts].filter((point) => point >= 0 && point <= text.length).sort((a, b) => a - b);
  const segments = [];
  for (let index = 0; index < points.length - 1; index++) {
    const [start, end] = [points[index], points[index + 1]];
    const covering = chunks.filter((chunk) => chunk.start <= start && chunk.end >= end);
    const piece = text.slice(start, end);
    if (covering.length === 0) segments.push(piece);
    else if (covering.length > 1) segments.push(h('mark', { class: 'chunk overlap', title: `overlap of chunks ${covering.map((chunk) => chunk.index + 1).join(' and ')}` }, piece));
    else segments.push(h('mark', { class: `chunk chunk-${covering[0].index % 4}`, title: `chunk ${covering[0].index + 1}` }, piece));
  }
  return h('div', { class: 'chunk-source', tabindex: '0', 'aria-label': 'Source text with chunks marked' }, segments);
}
