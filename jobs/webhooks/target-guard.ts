import { lookup } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';

/** Only globally routable unicast addresses are public; loopback, private, link-local and the rest are not. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

/** Problems with a webhook URL that show without a DNS lookup; undefined when none. */
export function checkWebhookUrl(text: string, allowPrivateTargets: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use http or https';
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivateTargets && ipaddr.isValid(host) && !isPublicAddress(host)) {
    return 'must not point at a private, loopback or link-local address';
  }
  return undefined;
}

/**
 * An HTTP agent that checks every address it connects to, after DNS resolution, so a hostname
 * that resolves (or re-resolves) to an internal address is refused at connect time.
 */
export function createGuardedAgent(allowPrivateTargets: boolean, timeoutMs: number): Agent {
  return new Agent({
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: {
      timeout: timeoutMs,
      lookup: (hostname, options, callback) => {
        lookup(hostname, { ...options, all: true }, (error, addresses) => {
          if (error) return callback(error, '', 0);
          const list = addresses as unknown as { address: string; family: number }[];
          const allowed = allowPrivateTargets ? list : list.filter((entry) => isPublicAddress(entry.address));
          if (allowed.length === 0) {
            return callback(Object.assign(new Error(`${hostname} resolves only to private, loopback or link-local addresses`), { code: 'EADDRNOTALLOWED' }), '', 0);
          }
          if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof allowed) => void)(null, allowed);
          callback(null, allowed[0]!.address, allowed[0]!.family);
        });
      },
    },
  });
}
