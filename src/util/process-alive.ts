/** Whether a process with this pid runs on this host (EPERM: it runs, as another user). For lock-holder checks. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
