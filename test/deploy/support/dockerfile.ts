/**
 * Just enough of a Dockerfile reader for the deployment checks: logical lines (continuations
 * joined, comments dropped), global ARG defaults, and stages with their instructions.
 */
export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, USER, ... */
  keyword: string;
  /** Everything after the keyword as written, continuations joined with a space. */
  args: string;
}

export interface Stage {
  /** `AS <name>`, if given. */
  name?: string;
  /** The image or stage it starts from, with global ARG defaults substituted. */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** Defaults of the ARGs declared before the first FROM. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

function logicalLines(text: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    // Comment lines are removed before continuations are joined, as Docker does.
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const joined = (pending + line).trim();
    pending = '';
    if (joined) out.push(joined);
  }
  if (pending.trim()) out.push(pending.trim());
  return out;
}

function substitute(value: string, args: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (whole, a: string | undefined, b: string | undefined) => {
      const name = a ?? b ?? '';
      return name in args ? args[name] : whole;
    },
  );
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const [word, ...rest] = line.split(/\s+/);
    const keyword = word.toUpperCase();
    // As written: the shell of a RUN sees its spacing (`sha512sum` lines need two spaces).
    const args = line.slice(word.length).trim();
    if (keyword === 'FROM') {
      const words = rest.filter((w) => !w.startsWith('--'));
      const asAt = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({
        from: substitute(words[0] ?? '', globalArgs),
        name: asAt >= 0 ? words[asAt + 1] : undefined,
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (keyword === 'ARG') {
        const [name, value = ''] = args.split('=');
        globalArgs[name.trim()] = value.trim().replace(/^"(.*)"$/, '$1');
      }
    } else {
      stages[stages.length - 1].instructions.push({ keyword, args });
    }
  }
  return { globalArgs, stages };
}

/** The stage called `name`, or undefined. */
export function stageNamed(file: Dockerfile, name: string): Stage | undefined {
  return file.stages.find((s) => s.name === name);
}

/** The stage and the stages it is built on, base first. */
export function stageChain(file: Dockerfile, name: string): Stage[] {
  const chain: Stage[] = [];
  let stage = stageNamed(file, name);
  while (stage && !chain.includes(stage)) {
    chain.unshift(stage);
    stage = stageNamed(file, stage.from);
  }
  return chain;
}

/** `FROM` images that are not stages of the file: the base images pulled. */
export function baseImages(file: Dockerfile): string[] {
  const names = new Set(file.stages.map((s) => s.name).filter(Boolean));
  return file.stages.map((s) => s.from).filter((from) => !names.has(from));
}

/** Every instruction with `keyword` along the chain of stage `name`, base first. */
export function instructionsOf(file: Dockerfile, name: string, keyword: string): Instruction[] {
  return stageChain(file, name).flatMap((s) => s.instructions.filter((i) => i.keyword === keyword));
}
