/**
 * `npm run cost`: unit economics from measurements.
 *
 *   npm run cost                      measure (metered: fails while the app's wide events carry no `usage`), then model
 *   npm run cost -- --provisional     measure with the harness's wrapped bindings alone, file labelled provisional, then model
 *   npm run cost -- --model-only      model only, from docs/economics/measurements.json and prices.json
 *
 * Measuring writes docs/economics/measurements.json; modelling writes
 * docs/economics/cost-model.md and its chart. See docs/economics/cost-model.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MeteringMissing, ROOT } from './cost/harness.ts';
import { loadMeasurements } from './cost/measurements.ts';
import { measure } from './cost/measure.ts';
import { loadPrices } from './cost/prices.ts';
import { ASSUMPTIONS, PLAN_PRICES, PROFILES } from './cost/profiles.ts';
import { CHART_FILE, costChart, costModelMarkdown } from './cost/report.ts';

const DIR = join(ROOT, 'docs', 'economics');
const ROW_FIELDS = new Set(['d1RowsRead', 'd1RowsWritten']);
// Ctrl-C or a kill ends the run through process.exit, so the exit hooks stop the emulator's process group.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
const { values: options } = parseArgs({ options: { 'model-only': { type: 'boolean', default: false }, provisional: { type: 'boolean', default: false } } });

async function main(): Promise<void> {
  const started = performance.now();
  if (!options['model-only']) {
    const measurements = await measure({ provisional: options.provisional, log: (line) => console.log(line) });
    writeFileSync(join(DIR, 'measurements.json'), `${JSON.stringify(measurements, null, 2)}\n`);
    console.log(`wrote docs/economics/measurements.json (${measurements.method})`);
    const crossCheck = measurements.crossCheck ?? [];
    const floors = crossCheck.filter((d) => ROW_FIELDS.has(d.field) && d.metered < d.harness);
    if (floors.length) console.log(`${floors.length} row counts where the wide events report a floor (raw()/first() carry no meta): D1's own figures kept, the metered ones in crossCheck`);
    for (const d of crossCheck.filter((d) => !floors.includes(d))) {
      console.warn(`metering and the harness disagree: ${d.operation} ${d.field}: wide events ${d.metered}, harness ${d.harness}`);
    }
  }
  const inputs = {
    prices: loadPrices(join(DIR, 'prices.json')),
    measurements: loadMeasurements(join(DIR, 'measurements.json')),
    assumptions: ASSUMPTIONS,
    planPrices: PLAN_PRICES,
    profiles: PROFILES,
  };
  writeFileSync(join(DIR, 'cost-model.md'), costModelMarkdown(inputs));
  writeFileSync(join(DIR, CHART_FILE), costChart(inputs));
  console.log(`wrote docs/economics/cost-model.md and ${CHART_FILE} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  if (err instanceof MeteringMissing) {
    console.error(`FAILED: ${err.message}`);
  } else {
    console.error(err);
  }
  process.exitCode = 1;
});
