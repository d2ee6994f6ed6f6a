/**
 * 4.1.1 / 4.1.2: the API version documents. The simulator serves one version, v1; `base` is the
 * simulator's URL, which the document links to.
 */
export function versionModel(base: string) {
  return {
    id: 'v1',
    status: 'CURRENT',
    version: '1',
    min_version: '',
    updated: '2018-09-30T00:00:00Z',
    links: [{ rel: 'self', href: `${base}/v1`, type: 'application/json' }],
  };
}
