import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { waitFor } from '../wait-for';
import { freePort, killWhenParentDies, sh } from './run';
import type { HaltOptions, RestartableService } from './restartable';

/** Folder of the pom.xml that names the broker's artifact (org.apache.kafka:kafka_2.13). */
const POM_DIR = path.resolve(__dirname, '../../kafka');
/** Classpaths resolved by Maven are cached here, keyed by the pom's hash. */
const CACHE_DIR = path.resolve(__dirname, '../../../../tmp/kafka');

export interface KafkaBroker extends RestartableService {
  /** `host:port` of the PLAINTEXT listener. */
  brokers: string;
  /** Ends the JVM and deletes the data folder; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Resolves the broker's jars with Maven (downloaded once into ~/.m2) and returns the
 * classpath. The first run downloads ~80 MB; later runs read the cached classpath.
 */
export async function resolveKafkaClasspath(log: (msg: string) => void): Promise<string> {
  const pom = readFileSync(path.join(POM_DIR, 'pom.xml'));
  const hash = createHash('sha256').update(pom).digest('hex').slice(0, 16);
  const cacheFile = path.join(CACHE_DIR, `classpath-${hash}.txt`);
  if (existsSync(cacheFile)) {
    const cached = readFileSync(cacheFile, 'utf8').trim();
    if (cached.split(':').every((jar) => existsSync(jar))) return cached;
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  log('kafka: resolving broker jars with Maven (first run downloads them into ~/.m2)');
  await sh(
    `mvn -q -B -f ${JSON.stringify(path.join(POM_DIR, 'pom.xml'))} ` +
      `dependency:build-classpath -Dmdep.outputFile=${JSON.stringify(cacheFile)}`,
    15 * 60_000,
  );
  return readFileSync(cacheFile, 'utf8').trim();
}

/** A Kafka cluster id: 16 random bytes, base64url without padding, not starting with '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function serverProperties(dataDir: string, port: number, controllerPort: number): string {
  return [
    'node.id=1',
    'process.roles=broker,controller',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${path.join(dataDir, 'logs')}`,
    'num.partitions=3',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=3',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    '',
  ].join('\n');
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True once the broker answers metadata requests and has a controller. */
async function isHealthy(brokers: string): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'harness-health',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length === 1 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * JVM settings of the broker. `test` starts fast and stays small: a serial collector and
 * the C1 compiler only, which suits a broker that lives for one test run. `production` is
 * what Apache Kafka's own kafka-server-start.sh and kafka-run-class.sh use (1 GiB heap, G1
 * with 20 ms pause target, C2): the figures of a benchmark are meant to say something about
 * a real deployment.
 */
export type KafkaJvmProfile = 'test' | 'production';

const JVM_FLAGS: Record<KafkaJvmProfile, string[]> = {
  test: ['-Xms256m', '-Xmx768m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'],
  production: [
    '-Xmx1G',
    '-Xms1G',
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
  ],
};

export interface KafkaBrokerOptions {
  /** Default: `CHAT_KAFKA_JVM` (`test` or `production`), else `test`. */
  profile?: KafkaJvmProfile;
}

function profileFromEnv(): KafkaJvmProfile {
  const value = process.env.CHAT_KAFKA_JVM;
  if (value === undefined || value === '' || value === 'test') return 'test';
  if (value === 'production') return 'production';
  throw new Error(`CHAT_KAFKA_JVM: "${value}" is not one of test, production`);
}

/**
 * Starts a single-node Apache Kafka broker in KRaft mode (broker and controller in one
 * JVM) on free loopback ports, with its data in a fresh temporary folder, and waits until
 * it answers. `stop()` ends the JVM and deletes the folder; `halt()` and `resume()` stop
 * and start the same broker (same ports, same data: topics, records and committed offsets
 * survive), as an operator's restart would.
 */
export async function startKafkaBroker(
  log: (msg: string) => void,
  { profile = profileFromEnv() }: KafkaBrokerOptions = {},
): Promise<KafkaBroker> {
  const classpath = await resolveKafkaClasspath(log);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'chat-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const propsFile = path.join(dataDir, 'server.properties');
  const logFile = path.join(dataDir, 'broker.log');
  writeFileSync(propsFile, serverProperties(dataDir, port, controllerPort));

  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin/java') : 'java';
  const common = [
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp',
    classpath,
  ];
  // What kafka-storage.sh format does (a short-lived tool: the quick-start flags), then
  // what kafka-server-start.sh runs.
  await sh(
    [
      java,
      ...JVM_FLAGS.test,
      ...common,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId(),
      '-c',
      propsFile,
    ]
      .map((a) => JSON.stringify(a))
      .join(' ') + ` >> ${JSON.stringify(logFile)} 2>&1`,
  );
  const brokers = `127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let removed = false;

  /** Starts the JVM on the data folder and waits until it answers. */
  const launch = async () => {
    const out = openSync(logFile, 'a');
    const jvm = spawn(java, [...JVM_FLAGS[profile], ...common, 'kafka.Kafka', propsFile], {
      stdio: ['ignore', out, out],
      detached: false,
    });
    closeSync(out);
    child = jvm;
    // A killed test run must not leave a JVM behind.
    killWhenParentDies(jvm.pid!);
    let exited = false;
    jvm.once('exit', () => (exited = true));
    await waitFor(
      async () => {
        if (exited) throw new Error('broker process exited');
        return isHealthy(brokers);
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'the Kafka broker to answer' },
    );
    return jvm.pid;
  };
  const halt = async ({ signal = 'SIGTERM' }: HaltOptions = {}) => {
    const jvm = child;
    child = undefined;
    if (!jvm) return;
    if (signal === 'SIGKILL') jvm.kill('SIGKILL');
    await stopProcess(jvm, 10_000);
  };
  const stop = async () => {
    await halt();
    if (removed) return;
    removed = true;
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const pid = await launch();
    log(`kafka: broker ${brokers} up (pid ${pid}, ${profile} JVM flags)`);
  } catch (err) {
    const logTail = tail(logFile);
    await stop();
    throw new Error(`kafka: broker did not start: ${(err as Error).message}\n${logTail}`, {
      cause: err,
    });
  }
  return {
    brokers,
    halt,
    async resume() {
      if (child) throw new Error('kafka: the broker is running; halt it first');
      if (removed) throw new Error('kafka: the broker was stopped for good');
      try {
        await launch();
      } catch (err) {
        await halt({ signal: 'SIGKILL' });
        throw new Error(
          `kafka: broker did not start again: ${(err as Error).message}\n${tail(logFile)}`,
          {
            cause: err,
          },
        );
      }
    },
    stop,
  };
}
