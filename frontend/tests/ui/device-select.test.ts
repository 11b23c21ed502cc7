// @vitest-environment happy-dom
/** The device picker of the pre-join screen and the in-call devices dialog. */
import { afterEach, describe, expect, it } from 'vitest';
import { flushSync, mount, unmount } from 'svelte';
import DeviceSelect from '../../src/components/meeting/DeviceSelect.svelte';

let app: ReturnType<typeof mount> | null = null;

afterEach(() => {
  if (app) void unmount(app);
  app = null;
});

function render(devices: MediaDeviceInfo[] | null) {
  document.body.innerHTML = '<div id="t"></div>';
  app = mount(DeviceSelect, { target: document.getElementById('t')!, props: { id: 'mic', label: 'Microphone', devices } });
  flushSync();
  const select = document.getElementById('mic') as HTMLSelectElement;
  return { disabled: select.disabled, options: Array.from(select.options).map((o) => o.textContent) };
}

const device = (deviceId: string, label: string) => ({ deviceId, label, kind: 'audioinput', groupId: 'g' }) as MediaDeviceInfo;

describe('DeviceSelect', () => {
  it('says it is still looking while the devices are being listed', () => {
    expect(render(null)).toEqual({ disabled: true, options: ['Looking for devices…'] });
  });

  it('says no devices were found once an empty list is in', () => {
    expect(render([])).toEqual({ disabled: true, options: ['No devices found'] });
  });

  it('offers the system default and each device, unnamed ones by position', () => {
    expect(render([device('a', 'Headset'), device('b', '')])).toEqual({
      disabled: false,
      options: ['System default', 'Headset', 'Microphone 2'],
    });
  });
});
