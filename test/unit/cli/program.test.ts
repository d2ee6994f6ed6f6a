import { escapeTerminal, formatTable } from '../../../lib/cli/output';
import { runCli } from '../../../lib/cli/program';
import { captureCli } from '../../support/capture';

const capture = () => captureCli();

describe('runCli()', () => {
  it('prints help on stdout and exits 0', async () => {
    const io = capture();
    expect(await runCli(['--help'], io.ctx)).toBe(0);
    expect(io.out()).toContain('Usage: vpcep-approver');
  });

  it('rejects an unknown command with exit 1 and says so on stderr', async () => {
    const io = capture();
    expect(await runCli(['frobnicate'], io.ctx)).toBe(1);
    expect(io.err()).toMatch(/^error: unknown command 'frobnicate'/);
    expect(io.out()).toBe('');
  });
});

describe('formatTable()', () => {
  it('aligns columns and prints missing values as -', () => {
    const text = formatTable(
      [
        { id: 'a', n: 1 },
        { id: 'longer-id', n: undefined },
      ],
      [
        { header: 'ID', value: (r) => r.id },
        { header: 'N', value: (r) => r.n },
      ],
    );
    expect(text).toBe(['ID         N', '---------  -', 'a          1', 'longer-id  -', ''].join('\n'));
  });

  it('prints the header and (none) when there are no rows', () => {
    const text = formatTable([] as { id: string }[], [
      { header: 'ID', value: (r) => r.id },
      { header: 'NAME', value: () => 'x' },
    ]);
    expect(text).toBe(['ID  NAME', '--  ----', '(none)', ''].join('\n'));
  });

  it('keeps a hostile cell on its row: newlines as \\n, ESC and other controls as \\u00XX, aligned', () => {
    const text = formatTable(
      [
        { name: 'svc\n\u001b[31mforged  row\u001b[0m', rule: 'r\r\t\u0007\u009b\u202e' },
        { name: 'plain', rule: 'ok' },
      ],
      [
        { header: 'NAME', value: (r) => r.name },
        { header: 'RULE', value: (r) => r.rule },
      ],
    );
    const lines = text.trimEnd().split('\n');
    expect(lines).toEqual([
      'NAME                                 RULE',
      '-----------------------------------  -----------------------',
      'svc\\n\\u001b[31mforged  row\\u001b[0m  r\\r\\t\\u0007\\u009b\\u202e',
      'plain                                ok',
    ]);
  });

  it('escapeTerminal() leaves ordinary text, quotes and non-Latin letters alone', () => {
    expect(escapeTerminal('Acme "payments" — Zürich 東京 [x](y) <b>')).toBe('Acme "payments" — Zürich 東京 [x](y) <b>');
  });
});
