import { posix } from 'node:path';
import { readWorkspaceFile } from './workspace';

/*
 * A small Dockerfile parser, enough for docker/Dockerfile: stages, instructions with their flags
 * and arguments, and the WORKDIR each runs in. No Docker engine is needed to read what an image
 * will contain and run.
 */

export interface Instruction {
  keyword: string;
  /** `--from=build`, `--chown=node` … as a map. */
  flags: Record<string, string>;
  /** Exec form (`["node", "main.js"]`) parsed from JSON, shell form split on whitespace. */
  args: string[];
  /** The arguments as written, after the flags. */
  raw: string;
  /** The stage's WORKDIR when the instruction runs (Docker's default is /). */
  workdir: string;
}

export interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const lines = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const stages: Stage[] = [];
  let workdir = '/';
  for (const line of lines) {
    const [, keyword, rest] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === 'FROM') {
      const [image, as, name] = rest.split(/\s+/);
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : String(stages.length), image, instructions: [] });
      workdir = '/';
      continue;
    }
    const flags: Record<string, string> = {};
    let raw = rest;
    for (let flag = /^--([\w-]+)(?:=(\S*))?\s*/.exec(raw); flag; flag = /^--([\w-]+)(?:=(\S*))?\s*/.exec(raw)) {
      flags[flag[1]] = flag[2] ?? 'true';
      raw = raw.slice(flag[0].length);
    }
    const args = raw.startsWith('[') ? (JSON.parse(raw) as string[]) : raw.split(/\s+/);
    if (keyword.toUpperCase() === 'WORKDIR') workdir = posix.resolve(workdir, args[0]);
    stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), flags, args, raw, workdir });
  }
  return stages;
}

/** The Node release line a stage's base image names (`node:24-bookworm-slim` → 24); NaN for any other image. */
export const nodeLine = (stage: Stage) => Number(/^node:(\d+)[.-]/.exec(stage.image)?.[1]);

export const all = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword);
export const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);

/** Docker's .dockerignore matching, enough for plain names and `*` / `**` patterns. */
export function dockerignored(patterns: string[], path: string): boolean {
  const segment = (glob: string) =>
    glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
  return patterns.some((pattern) => {
    const source = pattern
      .replace(/^\/|\/$/g, '')
      .split('**')
      .map(segment)
      .join('.*');
    return new RegExp(`^${source}(/.*)?$`).test(path);
  });
}

/** What docker/Dockerfile's final image is, read from its last stage. */
export interface ImageFacts {
  stages: Stage[];
  /** The first stage, which runs the webpack build. */
  build: Stage;
  /** The last stage: the image. */
  runtime: Stage;
  /** The instruction that runs the webpack build, in {@link build}. */
  buildCommand: Instruction;
  /** The image's working directory, where relative paths in commands resolve. */
  workdir: string;
  /** Its ENV variables. */
  env: Record<string, string>;
  /** Its EXPOSEd ports. */
  exposedPorts: string[];
  /** Its CMD, exec form. */
  cmd: string[];
  /** Its USER (`uid` or `uid:gid`). */
  user: string | undefined;
  /**
   * Where a file of the image came from in the build: a path relative to the build's WORKDIR (so
   * comparable with webpack's outputs), or undefined if no `COPY --from=<build>` put it there.
   */
  builtFileAt(pathInImage: string): string | undefined;
}

export function readImageFacts(dockerfile = 'docker/Dockerfile'): ImageFacts {
  const stages = parseDockerfile(readWorkspaceFile(dockerfile));
  const build = stages[0];
  const runtime = stages.at(-1)!;
  const buildCommand = all(build, 'RUN').find((run) => run.raw.includes('webpack'));
  if (!buildCommand) throw new Error(`${dockerfile}: its first stage runs no webpack build`);
  const copiesFromBuild = all(runtime, 'COPY')
    .filter((copy) => copy.flags.from === build.name)
    .map((copy) => {
      const sources = copy.args.slice(0, -1);
      const destination = copy.args.at(-1)!;
      return {
        // Sources are relative to the build stage's root, not its WORKDIR.
        sources: sources.map((source) => posix.relative(buildCommand.workdir, posix.resolve('/', source))),
        destination: posix.resolve(copy.workdir, destination),
        intoFolder: sources.length > 1 || destination.endsWith('/'),
      };
    });
  return {
    stages,
    build,
    runtime,
    buildCommand,
    workdir: last(runtime, 'WORKDIR')?.workdir ?? '/',
    env: Object.fromEntries(
      all(runtime, 'ENV').flatMap((env) =>
        env.args.map((pair) => {
          if (!pair.includes('=')) throw new Error(`${dockerfile}: write ENV as NAME=value (${env.raw})`);
          return pair.split(/=(.*)/s, 2) as [string, string];
        }),
      ),
    ),
    exposedPorts: all(runtime, 'EXPOSE').flatMap((expose) => expose.args),
    cmd: last(runtime, 'CMD')?.args ?? [],
    user: last(runtime, 'USER')?.args[0],
    builtFileAt(pathInImage) {
      for (const { sources, destination, intoFolder } of copiesFromBuild) {
        if (intoFolder) {
          const source = sources.find((candidate) => posix.join(destination, posix.basename(candidate)) === pathInImage);
          if (source) return source;
        } else if (pathInImage === destination) {
          return sources[0];
        } else if (pathInImage.startsWith(`${destination}/`)) {
          // A folder copied whole: the file's place inside it.
          return posix.join(sources[0], posix.relative(destination, pathInImage));
        }
      }
      return undefined;
    },
  };
}
