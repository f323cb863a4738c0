import { CI_PACKAGES, installPlan, STACK_PACKAGES } from '../debian-packages';

describe('installPlan', () => {
  const nothing = () => false;
  const everything = () => true;

  it('does nothing when every package is there', () => {
    expect(installPlan(CI_PACKAGES, everything, true)).toEqual({ kind: 'none' });
    expect(installPlan(CI_PACKAGES, everything, false)).toEqual({ kind: 'none' });
  });

  it('installs only what is missing as root', () => {
    const installed = (probe: string) => probe !== 'redis-server' && probe !== 'mvn';
    expect(installPlan(STACK_PACKAGES, installed, true)).toEqual({ kind: 'install', packages: ['redis-server', 'maven'] });
  });

  it('as non-root gives the single apt-get line to run', () => {
    expect(installPlan(STACK_PACKAGES, nothing, false)).toEqual({
      kind: 'ask',
      command: 'sudo apt-get install -y --no-install-recommends redis-server openssh-server openjdk-17-jre-headless maven sudo',
    });
  });

  it('adds docker-compose, chromium, docker.io and mmdebstrap for CI only', () => {
    const plan = installPlan(CI_PACKAGES, (probe) => STACK_PACKAGES.some((p) => p.probe === probe), true);
    expect(plan).toEqual({ kind: 'install', packages: ['docker-compose', 'chromium', 'docker.io', 'mmdebstrap'] });
  });
});
