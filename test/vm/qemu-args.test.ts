import { expect } from 'chai';
import { TCG } from '../../src/vm/accelerator.js';
import { buildQemuArgs, KERNEL_CMDLINE } from '../../src/vm/qemu-args.js';
import { parseHostForwardPort } from '../../src/vm/qmp.js';
import { knownHostsLine } from '../../src/vm/ssh-keys.js';

const files = {
  kernel: '/c/vmlinuz',
  initrd: '/c/initrd.img',
  overlay: '/r/disk.qcow2',
  serialLog: '/r/serial.log',
  qmpSocket: '/r/qmp.sock',
  pidFile: '/r/qemu.pid',
  authorizedKey: '/r/id.pub',
  hostKey: '/r/host',
  refreshPipe: '/r/refresh',
};

describe('vm/qemu-args', function () {
  it('boots the kernel directly on the overlay, serial console to a file, keys through fw_cfg, QMP and a pidfile', function () {
    const a = buildQemuArgs({ files, acceleratorArgs: TCG.args, memoryMiB: 1024, network: false }).join(' ');
    expect(a).to.include('-kernel /c/vmlinuz -initrd /c/initrd.img');
    expect(a).to.include(`-append ${KERNEL_CMDLINE}`);
    expect(KERNEL_CMDLINE).to.match(/root=\/dev\/vda .*console=ttyS0/);
    expect(a).to.include('file=/r/disk.qcow2,if=virtio');
    expect(a).to.include('-serial file:/r/serial.log');
    expect(a).to.include('-fw_cfg name=opt/krel/authorized_key,file=/r/id.pub');
    expect(a).to.include('-fw_cfg name=opt/krel/host_key,file=/r/host');
    expect(a).to.include('-qmp unix:/r/qmp.sock,server=on,wait=off');
    expect(a).to.include('-pidfile /r/qemu.pid');
    expect(a).to.include('-no-reboot');
    expect(a).to.include('-chardev pipe,id=krelrefresh,path=/r/refresh');
    expect(a).to.include('virtserialport,bus=krelserial.0,chardev=krelrefresh,name=org.krel.refresh');
  });

  it("a user image boots from its own disk with UEFI firmware (code read-only, the run's variables) and a read-only seed drive; no kernel, no fw_cfg keys", function () {
    const disk = {
      overlay: '/r/disk.qcow2',
      serialLog: '/r/serial.log',
      qmpSocket: '/r/qmp.sock',
      pidFile: '/r/qemu.pid',
      disk: { firmwareCode: '/fw/CODE.fd', firmwareVars: '/r/efivars.fd', seed: '/r/seed.img' },
    };
    const args = buildQemuArgs({ files: disk, acceleratorArgs: TCG.args, memoryMiB: 1024, network: false });
    const a = args.join(' ');
    expect(a).to.include('-drive if=pflash,format=raw,unit=0,readonly=on,file=/fw/CODE.fd');
    expect(a).to.include('-drive if=pflash,format=raw,unit=1,file=/r/efivars.fd');
    expect(a).to.include('-drive file=/r/seed.img,if=virtio,format=raw,readonly=on');
    const drives = args.filter((x, i) => args[i - 1] === '-drive' && x.includes('if=virtio'));
    expect(drives[0], 'the image is the first disk').to.include('file=/r/disk.qcow2');
    for (const absent of ['-kernel', '-initrd', '-append', '-fw_cfg', '-chardev'])
      expect(args).not.to.include(absent);
  });

  it('names the VM after its run directory, so CI cleanup (pkill -f "-name krel-vm-") finds it', function () {
    const named = { ...files, pidFile: '/tmp/krel-vm-Ab12Cd/qemu.pid' };
    const a = buildQemuArgs({ files: named, acceleratorArgs: TCG.args, memoryMiB: 512, network: false });
    expect(a.slice(0, 2)).to.deep.equal(['-name', 'krel-vm-Ab12Cd']);
  });

  it('the SSH forward binds 127.0.0.1 with an OS-picked port; the network is restricted unless asked for', function () {
    const closed = buildQemuArgs({ files, acceleratorArgs: TCG.args, memoryMiB: 512, network: false }).join(
      ' ',
    );
    expect(closed).to.include('user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:0-:22');
    const open = buildQemuArgs({ files, acceleratorArgs: TCG.args, memoryMiB: 512, network: true }).join(' ');
    expect(open).to.include('restrict=off');
  });

  it('reads the forwarded port from "info usernet"', function () {
    const usernet =
      'Hub -1 (n0):\r\n  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ\r\n' +
      '  TCP[HOST_FORWARD]  12       127.0.0.1 41785       10.0.2.15    22     0     0\r\n';
    expect(parseHostForwardPort(usernet)).to.equal(41785);
    expect(parseHostForwardPort('Hub -1 (n0):\r\n')).to.equal(undefined);
  });

  it('known_hosts lines use the [host]:port form for a non-standard port', function () {
    expect(knownHostsLine('127.0.0.1', 41785, 'ssh-ed25519 AAAAC3 krel-guest')).to.equal(
      '[127.0.0.1]:41785 ssh-ed25519 AAAAC3',
    );
    expect(knownHostsLine('lab', 22, 'ssh-ed25519 AAAAC3')).to.equal('lab ssh-ed25519 AAAAC3');
  });
});
