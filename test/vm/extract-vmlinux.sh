#!/usr/bin/env bash
# test/vm/extract-vmlinux.sh BZIMAGE OUT
#
# Writes the ELF vmlinux compressed inside an x86 bzImage to OUT, so QEMU can boot it through
# the PVH entry point (no real-mode setup, no in-guest decompression: ~2 s instead of ~6 s under
# TCG). The compressed stream is located exactly through the boot protocol header
# (Documentation/arch/x86/boot.rst): it starts payload_offset (0x248) bytes into the
# protected-mode code, which follows the (setup_sects + 1) * 512 bytes of setup, and is
# payload_length (0x24c) bytes long. Debian 12's is xz; zstd, gzip, lz4, bzip2, lzma are handled.
#
# Exits non-zero (and leaves no OUT) unless the result is an ELF file with a PVH entry note
# (XEN_ELFNOTE_PHYS32_ENTRY, type 18, name "Xen"); the caller then boots the bzImage.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

in=$1 out=$2
rm -f "$out"

# read_u WIDTH OFFSET: little-endian unsigned integer from the bzImage
read_u() { od -An --endian=little -t "u$1" -j "$2" -N "$1" "$in" | tr -d ' \n'; }
bytes_hex() { od -An -t x1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }

if [[ $(bytes_hex "$in" $((0x202)) 4) != 48647253 ]]; then   # "HdrS"
  vm_log "extract-vmlinux: $in is not a bzImage (no HdrS)"; exit 1
fi
version=$(read_u 2 $((0x206)))
if (( version < 0x208 )); then
  vm_log "extract-vmlinux: boot protocol $(printf %x "$version") has no payload fields"; exit 1
fi
setup_sects=$(read_u 1 $((0x1f1))); (( setup_sects == 0 )) && setup_sects=4
payload_offset=$(read_u 4 $((0x248)))
payload_length=$(read_u 4 $((0x24c)))
start=$(( (setup_sects + 1) * 512 + payload_offset ))

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
dd if="$in" of="$tmp/payload" bs=64K iflag=skip_bytes,count_bytes skip="$start" count="$payload_length" status=none

# The stream is followed by 4 bytes (the decompressed size); the decompressors may complain
# about them, so their exit status is not trusted: the ELF checks below decide.
magic=$(bytes_hex "$tmp/payload" 0 6)
case $magic in
  fd377a585a00*) fmt=xz    cmd=(xz -dc --single-stream) ;;
  28b52ffd*)     fmt=zstd  cmd=(zstd -dcq) ;;
  1f8b*)         fmt=gzip  cmd=(gzip -dcq) ;;
  02214c18*)     fmt=lz4   cmd=(lz4 -dcq) ;;
  425a68*)       fmt=bzip2 cmd=(bzip2 -dcq) ;;
  5d0000*)       fmt=lzma  cmd=(xz -dcq --format=lzma) ;;
  *) vm_log "extract-vmlinux: unknown payload format (magic $magic)"; exit 1 ;;
esac
if ! command -v "${cmd[0]}" >/dev/null; then
  vm_log "extract-vmlinux: the payload is $fmt but '${cmd[0]}' is not installed"; exit 1
fi
"${cmd[@]}" < "$tmp/payload" > "$tmp/vmlinux" 2>/dev/null || true

if [[ $(bytes_hex "$tmp/vmlinux" 0 4) != 7f454c46 ]]; then
  vm_log "extract-vmlinux: the $fmt payload did not decompress to an ELF file"; exit 1
fi
# Elf note header: namesz=4, descsz=4 or 8, type=18 (XEN_ELFNOTE_PHYS32_ENTRY), name "Xen\0".
if ! LC_ALL=C grep -qaP '\x04\x00\x00\x00[\x04\x08]\x00\x00\x00\x12\x00\x00\x00Xen\x00' "$tmp/vmlinux"; then
  vm_log "extract-vmlinux: the vmlinux has no PVH entry note (kernel built without CONFIG_PVH)"; exit 1
fi
mv "$tmp/vmlinux" "$out"
vm_log "extracted the ELF vmlinux ($fmt, $(( $(stat -c %s "$out") / 1048576 )) MiB) for PVH boot"
