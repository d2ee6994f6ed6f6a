import { formatTable } from '../../../lib/cli/output';
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
});
