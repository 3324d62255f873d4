// How a lab VM started, in words: resumed from production's memory as it
// ran at the capture, or booted from its disk (and why).
import type { LabVM } from '../lib/api';
import { fmtBytes, fmtClock, fmtMillis } from '../lib/format';

export interface StartText {
  /** "Resumed" / "Resumes" / "Booted" / "Boots", or '' before the capture decided. */
  label: string;
  /** The details: the moment resumed, production's pause, time to ready, clock; or why it booted. */
  detail: string;
}

export function startText(vm: LabVM): StartText {
  const ready = vm.ready_ms > 0;
  const mem = vm.base?.memory;
  if (vm.start === 'resume') {
    const parts: string[] = [];
    if (mem) {
      parts.push(`production as it ran at ${fmtClock(mem.captured_at)}`);
      parts.push(`production paused ${mem.pause_bound ? 'at most ' : ''}${fmtMillis(mem.pause_ms)}`);
      parts.push(`memory image ${fmtBytes(mem.bytes)}`);
    } else {
      parts.push("production's running state");
    }
    if (ready) parts.push(`agent ready ${fmtMillis(vm.ready_ms)} after the restore`);
    if (ready && !vm.start_note) parts.push(`clock set right (it was ${fmtMillis(Math.abs(vm.clock_skew_ms))} behind)`);
    if (vm.start_note) parts.push(vm.start_note);
    return { label: ready ? 'Resumed' : 'Resumes', detail: parts.join(' · ') };
  }
  if (vm.start === 'boot') {
    const parts = ready ? [`agent ready ${fmtMillis(vm.ready_ms)} after the boot`] : [];
    if (vm.start_note) parts.push(vm.start_note);
    return { label: ready ? 'Booted' : 'Boots', detail: parts.join(' · ') };
  }
  return { label: '', detail: '' };
}
