/** `courier-gw init` on the command line: flags, prompts on a terminal for what is missing, what was written. */
import { prompt, promptHidden, UsageError } from './output.js';
import { runInit } from './init.js';

interface InitFlags {
  output: string;
  gatewayId?: string;
  kit?: string;
  courier?: string;
  dataDir: string;
  device: string[];
  mqttDevice: string[];
  devicePasswordEnv?: string;
  dispatchUrl?: string;
  dispatchToken?: string;
  operator?: string;
  operatorPasswordEnv?: string;
  tasksFile?: string;
  mqttPort?: number;
  wsPort?: number;
  httpPort?: number;
  host?: string;
  force?: boolean;
}

function fromEnv(name: string | undefined, flag: string): string | undefined {
  if (name === undefined) return undefined;
  const v = process.env[name];
  if (!v) throw new UsageError(`${flag} ${name}: the variable is not set or empty`);
  return v;
}

export async function initCli(raw: Record<string, unknown>): Promise<void> {
  const f = raw as unknown as InitFlags;
  const tty = process.stdin.isTTY === true && process.stderr.isTTY === true;
  let { gatewayId, kit, operator } = f;
  let operatorPassword = fromEnv(f.operatorPasswordEnv, '--operator-password-env');
  if (tty) {
    gatewayId ??= await prompt('gateway id (the van or drop point)', 'gateway-1');
    kit ??= await prompt("kit id (the courier's devices)", gatewayId);
    operator ??= (await prompt('operator name for the dashboard (empty: none)', '')) || undefined;
    if (operator && operatorPassword === undefined) {
      operatorPassword = (await promptHidden(`password for ${operator} (empty: make one): `)) || undefined;
    }
  }
  if (!gatewayId) throw new UsageError('--gateway-id is required (or run init on a terminal to be asked)');
  if (!kit) throw new UsageError('--kit is required (or run init on a terminal to be asked)');
  const result = await runInit({
    output: f.output,
    gatewayId,
    kit,
    courier: f.courier,
    dataDir: f.dataDir,
    devices: f.device,
    mqttDevices: f.mqttDevice,
    devicePassword: fromEnv(f.devicePasswordEnv, '--device-password-env'),
    dispatchUrl: f.dispatchUrl,
    dispatchToken: f.dispatchToken,
    operator,
    operatorPassword,
    tasksFile: f.tasksFile,
    mqttPort: f.mqttPort,
    wsPort: f.wsPort,
    host: f.host,
    httpPort: f.httpPort,
    force: f.force,
  });
  process.stdout.write(`wrote ${result.file} (checked: courier-gw start -c ${result.file} accepts it)\n`);
  for (const g of result.generated) process.stdout.write(`${g.who}: password ${g.password} (shown once; only its hash is in the file)\n`);
  process.stdout.write(`next: courier-gw doctor -c ${result.file}\n`);
}
