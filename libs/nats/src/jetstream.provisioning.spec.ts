import { jest } from '@jest/globals';
import { JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { provisionConsumer, provisionStream } from './jetstream.provisioning.js';
import { Namespace } from './namespace.js';

const apiError = (code: number): JetStreamApiError =>
  new JetStreamApiError({ code: 400, err_code: code, description: `api error ${code}` });

const ns = new Namespace('t-unit');

/** A JetStream API call of the fake manager. */
const apiCall = () => jest.fn<(...args: unknown[]) => Promise<unknown>>();

const streamConfig = {
  name: 't_unit_s',
  subjects: ['t-unit.s.>'],
  storage: 'file',
  retention: 'limits',
  max_age: nanos(7 * 24 * 60 * 60 * 1000),
  max_bytes: -1,
  max_msgs: -1,
  duplicate_window: nanos(120_000),
  num_replicas: 1,
};

type FakeApi = Record<string, ReturnType<typeof apiCall>>;

/** A JetStreamManager whose stream and consumer calls are the given fakes. */
function fakeJsm(overrides: { streams?: FakeApi; consumers?: FakeApi }): JetStreamManager {
  return {
    streams: { info: apiCall(), add: apiCall(), update: apiCall(), ...overrides.streams },
    consumers: { info: apiCall(), add: apiCall(), update: apiCall(), ...overrides.consumers },
  } as unknown as JetStreamManager;
}

describe('provisionStream', () => {
  it('falls back to the stream another instance created between our look-up and our create', async () => {
    const info = apiCall()
      .mockRejectedValueOnce(apiError(10059))
      .mockResolvedValueOnce({ config: streamConfig });
    const add = apiCall().mockRejectedValue(apiError(10058));
    const jsm = fakeJsm({ streams: { info, add } });
    await expect(provisionStream(jsm, ns, { name: 's', subjects: ['s.>'] })).resolves.toBe('unchanged');
    expect(add).toHaveBeenCalledTimes(1);
  });

  it('passes on failures it does not understand', async () => {
    const down = new Error('no JetStream');
    await expect(
      provisionStream(fakeJsm({ streams: { info: apiCall().mockRejectedValue(down) } }), ns, {
        name: 's',
        subjects: ['s.>'],
      }),
    ).rejects.toBe(down);
    const info = apiCall().mockRejectedValue(apiError(10059));
    const add = apiCall().mockRejectedValue(apiError(10999));
    await expect(
      provisionStream(fakeJsm({ streams: { info, add } }), ns, { name: 's', subjects: ['s.>'] }),
    ).rejects.toBeInstanceOf(JetStreamApiError);
  });

  it('updates a stream whose description differs', async () => {
    const info = apiCall().mockResolvedValue({ config: { ...streamConfig, description: 'old' } });
    const update = apiCall().mockResolvedValue({});
    await expect(
      provisionStream(fakeJsm({ streams: { info, update } }), ns, {
        name: 's',
        subjects: ['s.>'],
        description: 'new',
      }),
    ).resolves.toBe('updated');
    expect(update).toHaveBeenCalledWith('t_unit_s', expect.objectContaining({ description: 'new' }));
  });
});

describe('provisionConsumer', () => {
  const consumerConfig = {
    durable_name: 'c',
    ack_policy: 'explicit',
    ack_wait: nanos(30_000),
    max_ack_pending: 1000,
    max_deliver: -1,
    filter_subjects: ['t-unit.a', 't-unit.b'],
  };
  const spec = { stream: 's', durable: 'c', filterSubjects: ['a', 'b'] };

  it('uses filter_subjects for several filters and keeps a matching consumer', async () => {
    const info = apiCall().mockResolvedValue({ config: consumerConfig });
    await expect(provisionConsumer(fakeJsm({ consumers: { info } }), ns, spec)).resolves.toBe('unchanged');
  });

  it('moves from one filter to several by clearing filter_subject', async () => {
    const info = apiCall().mockResolvedValue({
      config: { ...consumerConfig, filter_subjects: undefined, filter_subject: 't-unit.a' },
    });
    const update = apiCall().mockResolvedValue({});
    await expect(provisionConsumer(fakeJsm({ consumers: { info, update } }), ns, spec)).resolves.toBe(
      'updated',
    );
    expect(update).toHaveBeenCalledWith(
      't_unit_s',
      'c',
      expect.objectContaining({ filter_subjects: ['t-unit.a', 't-unit.b'], filter_subject: undefined }),
    );
  });

  it('treats a consumer with no filter as different', async () => {
    const info = apiCall().mockResolvedValue({
      config: { ...consumerConfig, filter_subjects: [], description: 'x' },
    });
    const update = apiCall().mockResolvedValue({});
    await expect(
      provisionConsumer(fakeJsm({ consumers: { info, update } }), ns, { ...spec, description: 'x' }),
    ).resolves.toBe('updated');
  });

  it('falls back to a consumer created concurrently, and passes on unknown failures', async () => {
    const info = apiCall()
      .mockRejectedValueOnce(apiError(10014))
      .mockResolvedValueOnce({ config: consumerConfig });
    const add = apiCall().mockRejectedValue(apiError(10148));
    await expect(provisionConsumer(fakeJsm({ consumers: { info, add } }), ns, spec)).resolves.toBe(
      'unchanged',
    );

    const down = new Error('timeout');
    await expect(
      provisionConsumer(fakeJsm({ consumers: { info: apiCall().mockRejectedValue(down) } }), ns, spec),
    ).rejects.toBe(down);
  });
});
