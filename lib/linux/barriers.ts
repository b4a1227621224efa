/**
 * CPU memory barriers with the kernel's names and instructions (arch/x86/include/asm/barrier.h,
 * arch/arm64/include/asm/barrier.h, arch/arm/include/asm/barrier.h), run in native code.
 * x86-64: mfence / lfence / sfence. arm64: dsb sy / dsb ld / dsb st. armv7: dsb / dsb / dsb st.
 * @module
 */
import { addon } from './addon.js';

/** Full barrier: all earlier loads and stores complete before any later one (kernel `mb`). */
export function mb(): void {
  addon().mb();
}

/** Read barrier: earlier loads complete before later loads (kernel `rmb`). */
export function rmb(): void {
  addon().rmb();
}

/** Write barrier: earlier stores complete before later stores (kernel `wmb`). */
export function wmb(): void {
  addon().wmb();
}
