import { request } from 'node:http';

/**
 * One HTTP request on a connection of its own (no keep-alive), so a cluster may hand it to any of
 * its processes; gives up after 3 s.
 */
export function requestOnce(
  port: number,
  path: string,
  body?: object,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: body ? 'POST' : 'GET',
        agent: false,
        headers: { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, text, json: text.startsWith('{') ? JSON.parse(text) : null }),
        );
      },
    );
    req.on('error', reject);
    req.setTimeout(3000, () => req.destroy(new Error(`${path}: no answer within 3 s`)));
    req.end(body ? JSON.stringify(body) : undefined);
  });
}
