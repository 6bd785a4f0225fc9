import { auditRequirements } from '@parley/permissions';
import { startStandaloneEdges, type StandaloneEdges } from './edge.harness.js';

describe('realtime-edge service', () => {
  let world: StandaloneEdges;

  beforeAll(async () => {
    world = await startStandaloneEdges(1);
  });
  afterAll(() => world.stop());

  it('is live', async () => {
    const response = await fetch(`${world.edges[0]!.url}/health/live`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', service: 'realtime-edge' });
  });

  it('is ready with NATS up, and needs no database', async () => {
    const response = await fetch(`${world.edges[0]!.url}/health/ready`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { info: Record<string, unknown> };
    expect(body).toMatchObject({ status: 'ok', info: { nats: { status: 'up' } } });
    expect(Object.keys(body.info)).toEqual(['nats']);
  });

  it('exports its own metrics, labelled with the service name', async () => {
    const text = await (await fetch(`${world.edges[0]!.url}/metrics`)).text();
    expect(text).toContain('service="realtime-edge"');
    for (const name of [
      'parley_realtime_connections',
      'parley_realtime_handshakes_total',
      'parley_realtime_rooms',
      'parley_realtime_events_in_total',
      'parley_realtime_events_out_total',
      'parley_realtime_delivery_lag_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  });

  it('declares a requirement on every gateway handler', () => {
    const report = auditRequirements(world.edges[0]!.app);
    expect(report.undeclared).toEqual([]);
    expect(report.handlers.filter((handler) => handler.transport === 'ws').length).toBeGreaterThan(20);
  });
});
