# tools/arm/insn-count/count.py — gdb-multiarch script (run.sh): attach to qemu-aarch64's gdbstub, stop at the
# 11th entry of the addon's Mb (the first marker of the measured call), then single-step to the next entry of
# Mb, counting and listing every instruction. Environment: GDBPORT, NODE, GDBROOT (sysroot with the unstripped
# addon at the prebuild's path, so that gdb knows its symbols), TRACE (where to write the listing).
import gdb, os
gdb.execute('set pagination off')
gdb.execute('set confirm off')
gdb.execute('set sysroot ' + os.environ['GDBROOT'])
gdb.execute('set breakpoint pending on')
gdb.execute('file ' + os.environ['NODE'])
gdb.execute('target remote :' + os.environ['GDBPORT'])
gdb.execute("break 'mmio::(anonymous namespace)::Mb(Napi::CallbackInfo const&)'")
gdb.execute('ignore 1 10')
gdb.execute('continue')
mb = int(gdb.parse_and_eval('$pc'))
gdb.execute('delete')
n = 0
trace = []
while n < 200000:
    gdb.execute('stepi', to_string=True)
    n += 1
    trace.append(gdb.execute('x/i $pc', to_string=True).strip())
    if int(gdb.parse_and_eval('$pc')) == mb:
        break
else:
    # The second marker never came: the count would be the cap, not the call's length.
    gdb.execute('kill')
    raise gdb.GdbError('insn-count: no second marker within 200000 instructions')
print('insn-count: COUNT', n)
open(os.environ['TRACE'], 'w').write('\n'.join(trace) + '\n')
gdb.execute('kill')
