// The request a card sent, written out as curl and as TypeScript (fetch), with the key as $API_KEY.
import { absoluteUrl } from './api.js';

const shellQuote = (text) => `'${String(text).replaceAll("'", `'\\''`)}'`;

export function toCurl(request) {
  const lines = [`curl -X ${request.method} ${shellQuote(absoluteUrl(request.url))}`, `  -H "Authorization: Bearer $API_KEY"`];
  if (request.json !== undefined) {
    lines.push(`  -H 'Content-Type: application/json'`, `  -d ${shellQuote(JSON.stringify(request.json, null, 2))}`);
  } else if (request.form) {
    for (const [name, value] of Object.entries(request.form)) {
      lines.push(value instanceof File ? `  -F ${shellQuote(`${name}=@${value.name}`)}` : `  -F ${shellQuote(`${name}=${value}`)}`);
    }
  } else if (request.raw !== undefined) {
    lines.push(`  -H ${shellQuote(`Content-Type: ${request.contentType ?? 'text/plain'}`)}`, `  --data-binary ${shellQuote(request.raw)}`);
  }
  return lines.join(' \\\n');
}

const indent = (text, spaces) => text.replaceAll('\n', `\n${' '.repeat(spaces)}`);

export function toTypeScript(request) {
  const url = JSON.stringify(absoluteUrl(request.url));
  const headers = ['Authorization: `Bearer ${process.env.API_KEY}`'];
  const prelude = [];
  let body = '';
  if (request.json !== undefined) {
    headers.push("'Content-Type': 'application/json'");
    body = `\n  body: JSON.stringify(${indent(JSON.stringify(request.json, null, 2), 2)}),`;
  } else if (request.form) {
    prelude.push("import { openAsBlob } from 'node:fs';", '', 'const form = new FormData();');
    for (const [name, value] of Object.entries(request.form)) {
      prelude.push(
        value instanceof File
          ? `form.append(${JSON.stringify(name)}, await openAsBlob(${JSON.stringify(value.name)}), ${JSON.stringify(value.name)});`
          : `form.append(${JSON.stringify(name)}, ${JSON.stringify(String(value))});`,
      );
    }
    prelude.push('');
    body = '\n  body: form,';
  } else if (request.raw !== undefined) {
    headers.push(`'Content-Type': ${JSON.stringify(request.contentType ?? 'text/plain')}`);
    body = `\n  body: ${JSON.stringify(request.raw)},`;
  }
  return [
    ...prelude,
    `const response = await fetch(${url}, {`,
    `  method: '${request.method}',`,
    `  headers: { ${headers.join(', ')} },${body}`,
    '});',
    'console.log(response.status, await response.json());',
  ].join('\n');
}
