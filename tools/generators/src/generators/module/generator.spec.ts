import { logger, readJson, type Tree } from '@nx/devkit';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { moduleGenerator } from './generator';
import { normalizeOptions } from './lib/names';
import { applicationModules } from './lib/workspace';
import { contentsOf, workspaceTree } from './test-tree';
import type { ModuleGeneratorSchema } from './schema';

// Exact text, not the formatter's: formatting is prettier's business, checked in the scratch runs.
process.env['NX_SKIP_FORMAT'] = 'true';

const NOW = 1_800_000_000_000;

// The modules generated here are named as no user module is likely to be (`specimens`, not the
// README's `invoices`): the tree is a copy of the workspace, where a module of the same name,
// once generated, would make the generator refuse.

interface Unit {
  hosts?: string[];
  workers?: string[];
}
const unitsOf = (tree: Tree, topology: string): Record<string, Unit> => readJson(tree, `topologies/${topology}.json`).units;
/** The units of a topology in a snapshot taken with `contentsOf`. */
const unitsIn = (contents: Map<string, string>, topology: string): Record<string, Unit> =>
  JSON.parse(contents.get(`topologies/${topology}.json`) ?? '{}').units;

/** The statements a migration runs, in order. */
const sqlOf = (migration: string): string[] => [...migration.matchAll(/queryRunner\.query\(`([^`]*)`/g)].map((match) => match[1]);
/** What a sample module's migration named `*-<what>.ts` creates, with its schema renamed to `schema`. */
function sampleSql(tree: Tree, module: string, what: string, schema: string): string[] {
  const file = tree.children(`migrations/src/${module}`).find((name) => name.endsWith(`-${what}.ts`));
  const text = tree.read(`migrations/src/${module}/${file}`, 'utf-8') as string;
  return sqlOf(text.slice(0, text.indexOf('async down(')))
    .map((sql) => sql.replaceAll(`${module}.`, `${schema}.`))
    .map((sql) => sql.replaceAll(`the ${module} module`, `the ${schema} module`));
}
const paths = (tree: Tree): string[] => Object.keys(readJson(tree, 'tsconfig.base.json').compilerOptions.paths);

describe('module generator', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = workspaceTree();
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const run = (options: Partial<ModuleGeneratorSchema> & { name: string }) => moduleGenerator(tree, options);

  describe('specimens --fields=number:string:unique,amountCents:int,paid:boolean? --jobs', () => {
    let before: Map<string, string>;

    beforeEach(async () => {
      before = contentsOf(tree);
      await run({ name: 'specimens', fields: 'number:string:unique,amountCents:int,paid:boolean?', jobs: true });
    });

    it('creates the four tier projects, the migration and the end-to-end spec', () => {
      const created = [...contentsOf(tree).keys()].filter((path) => !before.has(path)).sort();

      expect(created).toEqual(
        [
          'apps/server/test/specimens.e2e-spec.ts',
          'libs/specimens/business/jest.config.js',
          'libs/specimens/business/project.json',
          'libs/specimens/business/src/index.ts',
          'libs/specimens/business/src/lib/specimen-jobs.worker.spec.ts',
          'libs/specimens/business/src/lib/specimen-jobs.worker.ts',
          'libs/specimens/business/src/lib/specimen.mapper.ts',
          'libs/specimens/business/src/lib/specimens-business.module.ts',
          'libs/specimens/business/src/lib/specimens-workers.module.ts',
          'libs/specimens/business/src/lib/specimens.service.spec.ts',
          'libs/specimens/business/src/lib/specimens.service.ts',
          'libs/specimens/business/tsconfig.json',
          'libs/specimens/contracts/project.json',
          'libs/specimens/contracts/src/index.ts',
          'libs/specimens/contracts/src/lib/specimen.dto.ts',
          'libs/specimens/contracts/src/lib/specimens.errors.ts',
          'libs/specimens/contracts/src/lib/specimens.jobs.ts',
          'libs/specimens/contracts/src/lib/specimens.port.ts',
          'libs/specimens/contracts/tsconfig.json',
          'libs/specimens/data-access/jest.config.js',
          'libs/specimens/data-access/project.json',
          'libs/specimens/data-access/src/index.ts',
          'libs/specimens/data-access/src/lib/specimen.entity.ts',
          'libs/specimens/data-access/src/lib/specimen.record.ts',
          'libs/specimens/data-access/src/lib/specimen.repository.ts',
          'libs/specimens/data-access/src/lib/specimens-data-access.module.ts',
          'libs/specimens/data-access/src/lib/specimens-idempotency.ts',
          'libs/specimens/data-access/src/lib/typeorm-specimen.repository.spec.ts',
          'libs/specimens/data-access/src/lib/typeorm-specimen.repository.ts',
          'libs/specimens/data-access/tsconfig.json',
          'libs/specimens/presentation/project.json',
          'libs/specimens/presentation/src/index.ts',
          'libs/specimens/presentation/src/lib/specimens-presentation.module.ts',
          'libs/specimens/presentation/src/lib/specimens.controller.ts',
          'libs/specimens/presentation/tsconfig.json',
          `migrations/src/specimens/${NOW}-create-specimens.ts`,
        ].sort(),
      );
    });

    it('changes only the registration files and the Ingress, which routes its path', () => {
      const changed = [...before.keys()].filter((path) => tree.read(path, 'utf-8') !== before.get(path)).sort();

      expect(changed).toEqual([
        'apps/server/src/application.ts',
        'docker/k8s/base/ingress.yaml',
        'migrations/src/index.ts',
        'topologies/orders-service.json',
        'topologies/split.json',
        'tsconfig.base.json',
      ]);
    });

    it('tags each project scope:specimens and type:<tier>', () => {
      for (const tier of ['contracts', 'data-access', 'business', 'presentation']) {
        expect(readJson(tree, `libs/specimens/${tier}/project.json`)).toMatchObject({
          name: `specimens-${tier}`,
          tags: ['scope:specimens', `type:${tier}`],
        });
      }
    });

    it('adds the four path aliases, each at its sorted place', () => {
      const aliases = paths(tree);

      expect(aliases.filter((alias) => alias.startsWith('@strata/specimens/'))).toEqual([
        '@strata/specimens/business',
        '@strata/specimens/contracts',
        '@strata/specimens/data-access',
        '@strata/specimens/presentation',
      ]);
      expect(aliases).toEqual([...aliases].sort());
      expect(readJson(tree, 'tsconfig.base.json').compilerOptions.paths['@strata/specimens/data-access']).toEqual([
        './libs/specimens/data-access/src/index.ts',
      ]);
    });

    it('imports the tiers into application.ts and registers the module with its workers', () => {
      const application = tree.read('apps/server/src/application.ts', 'utf-8') as string;

      expect(application).toContain("import { SpecimensBusinessModule, SpecimensWorkersModule } from '@strata/specimens/business';");
      expect(application).toContain("import { SpecimensDataAccessModule } from '@strata/specimens/data-access';");
      expect(application).toContain("import { SpecimensPresentationModule } from '@strata/specimens/presentation';");
      expect(application).toContain(
        "specimens: { presentation: SpecimensPresentationModule, business: SpecimensBusinessModule, 'data-access': SpecimensDataAccessModule, workers: SpecimensWorkersModule }",
      );
      // Right after the module it is placed with (customers), the order merge writes hosts back in.
      const at = (key: string) => application.indexOf(`${key}: {`);
      expect([at('catalog'), at('customers'), at('specimens'), at('orders')]).toEqual(
        [...[at('catalog'), at('customers'), at('specimens'), at('orders')]].sort((a, b) => a - b),
      );
      expect(at('specimens')).toBeGreaterThan(0);
      const imports = [...application.matchAll(/^import .* from '([^']+)';$/gm)].map((match) => match[1]);
      expect(imports.filter((specifier) => specifier.startsWith('@strata/'))).toEqual(
        [...imports.filter((specifier) => specifier.startsWith('@strata/'))].sort(),
      );
    });

    it('registers the migration last, with a timestamp after every other', () => {
      const index = tree.read('migrations/src/index.ts', 'utf-8') as string;

      expect(index).toContain(`import { CreateSpecimens${NOW} } from './specimens/${NOW}-create-specimens';`);
      expect(index).toMatch(new RegExp(`, CreateSpecimens${NOW}\\s*,?\\s*\\];`));
      expect(tree.read(`migrations/src/specimens/${NOW}-create-specimens.ts`, 'utf-8')).toContain(`export class CreateSpecimens${NOW} `);
    });

    it('places the tiers beside customers in every topology and the workers with the other workers', () => {
      const split = unitsOf(tree, 'split');
      const followsCustomers = (hosts: string[] = [], tier: string) =>
        hosts[hosts.indexOf(`customers/${tier}`) + 1] === `specimens/${tier}`;

      expect(followsCustomers(split['gateway'].hosts, 'presentation')).toBe(true);
      expect(followsCustomers(split['business'].hosts, 'business')).toBe(true);
      expect(followsCustomers(split['data'].hosts, 'data-access')).toBe(true);
      // In the application's order, where specimens now comes right after customers: before orders
      // (and before any module the workspace has added after customers).
      const order = applicationModules(tree);
      const workersBefore = unitsIn(before, 'split')['worker'].workers ?? [];
      expect(order.indexOf('specimens')).toBe(order.indexOf('customers') + 1);
      expect(split['worker'].workers).toEqual([...workersBefore, 'specimens'].sort((a, b) => order.indexOf(a) - order.indexOf(b)));

      const core = unitsOf(tree, 'orders-service')['core'];
      expect(core.hosts?.[core.hosts.indexOf('customers/*') + 1]).toBe('specimens/*');
      expect(core.workers).toEqual(['specimens', ...(unitsIn(before, 'orders-service')['core'].workers ?? [])]);
      expect(Object.keys(core).indexOf('workers')).toBe(Object.keys(core).indexOf('hosts') + 1);

      expect(tree.read('topologies/monolith.json', 'utf-8')).toBe(before.get('topologies/monolith.json'));
    });

    it('declares the job, writes it to the outbox with the insert and handles it in an idempotent worker', () => {
      const read = (path: string) => tree.read(`libs/specimens/${path}`, 'utf-8') as string;

      expect(read('contracts/src/lib/specimens.jobs.ts')).toContain(
        "defineJob<SpecimenCreatedPayload>(SPECIMENS_QUEUE, 'specimens.specimen-created')",
      );
      const repository = read('data-access/src/lib/typeorm-specimen.repository.ts');
      expect(repository).toContain("const SPECIMENS_OUTBOX = new OutboxWriter('specimens.outbox');");
      // In the insert's transaction, after the insert: the job commits with the specimen or not at all.
      expect(repository).toMatch(
        /this\.dataSource\.transaction\(async \(manager\) => \{\n(.*\n)*?\s+await manager\.insert\(SpecimenEntity, entity\);\n(.*\n)*?\s+await SPECIMENS_OUTBOX\.write\(manager, SpecimenCreatedJob, \{ specimenId: newSpecimen\.id \}, \{ jobId: `created-\$\{newSpecimen\.id\}` \}\);\n\s+\}\);/,
      );
      expect(repository).toContain("update({ id: specimenId, processedAt: IsNull() }, { processedAt: () => 'now()' })");
      expect(read('data-access/src/lib/specimens-data-access.module.ts')).toContain(
        'imports: [TypeOrmModule.forFeature([SpecimenEntity]), QueueModule.forJobs(SpecimenCreatedJob)],',
      );
      expect(read('data-access/src/lib/specimens-data-access.module.ts')).toContain("provideOutboxRelay({ table: 'specimens.outbox' }),");
      expect(read('business/src/lib/specimen-jobs.worker.ts')).toMatch(/@OnJob\(SpecimenCreatedJob\)/);
      const migration = tree.read(`migrations/src/specimens/${NOW}-create-specimens.ts`, 'utf-8') as string;
      expect(migration).toContain('processed_at timestamptz\n');
      expect(migration).toContain('CREATE TABLE specimens.outbox (');
    });

    it('neither queues nor compensates in the service: no enqueue, no remove, no 503', () => {
      const generated = [...contentsOf(tree)].filter(([path]) => path.startsWith('libs/specimens/'));

      for (const [path, text] of generated) {
        expect([path, text]).toEqual([
          path,
          expect.not.stringMatching(/queue_unavailable|JobProducer|UnavailableError|\bremove\b|compensat/),
        ]);
      }
      expect(tree.read('libs/specimens/business/src/lib/specimens-business.module.ts', 'utf-8')).not.toContain('QueueModule');
    });

    it('honours Idempotency-Key on POST: a store beside the data, the create run through it, inserts idempotent by id', () => {
      const read = (path: string) => tree.read(`libs/specimens/${path}`, 'utf-8') as string;

      expect(read('data-access/src/lib/specimens-idempotency.ts')).toContain(
        "@IdempotencyPort('specimens.idempotency')\nexport abstract class SpecimensIdempotency extends IdempotencyStore {}",
      );
      expect(read('data-access/src/index.ts')).toContain("export * from './lib/specimens-idempotency';");
      expect(read('data-access/src/lib/specimens-data-access.module.ts')).toContain(
        "provideIdempotencyStore(SpecimensIdempotency, 'specimens'),",
      );
      expect(read('data-access/src/lib/specimens-data-access.module.ts')).toContain('exports: [SpecimenRepository, SpecimensIdempotency],');
      expect(read('business/src/lib/specimens.service.ts')).toContain(
        "return runIdempotently(this.idempotency, 'createSpecimen', newSpecimen, async (specimenId) =>",
      );
      expect(read('presentation/src/lib/specimens.controller.ts')).toMatch(/@Post\(\)\n\s+@IdempotentRoute\(\)/);

      expect(read('data-access/src/lib/specimen.record.ts')).toMatch(/export interface NewSpecimenRecord \{\n(.*\n)\s+id: string;/);
      expect(read('data-access/src/lib/specimen.entity.ts')).toContain("@PrimaryColumn('uuid')");
      expect(read('data-access/src/lib/specimen.repository.ts')).toContain("insert: 'idempotent',");
      const repository = read('data-access/src/lib/typeorm-specimen.repository.ts');
      expect(repository).not.toMatch(/\.save\(/);
      // Any unique violation: the row recorded under the id is the answer, else the field's own error.
      expect(repository).toContain(
        [
          '      if (!isUniqueViolation(error)) throw error;',
          '      // The same id: an earlier attempt of the same request recorded it with its job, which is the answer',
          "      // (this attempt's transaction rolled back, so it wrote nothing more).",
          '      const recorded = await this.findById(newSpecimen.id);',
          '      if (recorded) return recorded;',
          "      if (isUniqueViolation(error, 'specimens_number_lower_key')) throw new DuplicateSpecimenNumberError(newSpecimen.number);",
        ].join('\n'),
      );
    });

    it("creates the idempotency keys and the outbox with exactly the samples' SQL", () => {
      const migration = sqlOf(tree.read(`migrations/src/specimens/${NOW}-create-specimens.ts`, 'utf-8') as string);

      expect(migration).toEqual(expect.arrayContaining(sampleSql(tree, 'customers', 'idempotency-keys', 'specimens')));
      expect(migration).toEqual(expect.arrayContaining(sampleSql(tree, 'orders', 'outbox', 'specimens')));
      expect(migration.filter((sql) => /idempotency_keys|outbox/.test(sql))).toHaveLength(3);
    });

    it('tests a retry: the same id twice in the repository spec, the same Idempotency-Key twice end to end', () => {
      expect(tree.read('libs/specimens/data-access/src/lib/typeorm-specimen.repository.spec.ts', 'utf-8')).toContain(
        "it('answers a second insert of the same id with the specimen recorded, even one racing it (a retried request)'",
      );
      expect(tree.read('libs/specimens/business/src/lib/specimens.service.spec.ts', 'utf-8')).toContain(
        'const idempotency = {} as SpecimensIdempotency;',
      );
      const e2e = tree.read('apps/server/test/specimens.e2e-spec.ts', 'utf-8') as string;
      expect(e2e).toContain('expect(retry.text).toBe(first.text);');
      expect(e2e).toContain("code: 'idempotency.key_reused'");
      expect(e2e).toContain(".send({ ...body, number: 'Another example' })");
    });

    it('writes the port, typed errors and a repository port speaking records', () => {
      const read = (path: string) => tree.read(`libs/specimens/${path}`, 'utf-8') as string;

      // Arguments of remote calls validated by the serving unit, with the DTO classes, as in the samples.
      expect(read('contracts/src/lib/specimens.port.ts')).toContain("createSpecimen: { call: 'at-most-once', args: [CreateSpecimenDto] },");
      expect(read('contracts/src/lib/specimens.port.ts')).toContain("listSpecimens: { call: 'idempotent', args: [ListSpecimensQuery] },");
      expect(read('contracts/src/lib/specimens.errors.ts')).toContain("'specimens.specimen_not_found'");
      expect(read('contracts/src/lib/specimens.errors.ts')).toContain('class DuplicateSpecimenNumberError extends ConflictError');
      expect(read('contracts/src/lib/specimens.errors.ts')).toContain("'specimens.duplicate_number'");
      expect(read('data-access/src/lib/specimen.repository.ts')).toContain(
        'abstract insert(specimen: NewSpecimenRecord): Promise<SpecimenRecord>;',
      );
      expect(read('data-access/src/lib/specimen.repository.ts')).not.toMatch(/Dto/);
      expect(read('data-access/src/lib/typeorm-specimen.repository.ts')).toContain(
        "if (isUniqueViolation(error, 'specimens_number_lower_key')) throw new DuplicateSpecimenNumberError(newSpecimen.number);",
      );
      expect(read('presentation/src/lib/specimens.controller.ts')).toContain("@Controller('specimens')");
    });

    it('refuses a second run of the same command, changing nothing', async () => {
      const after = contentsOf(tree);

      await expect(run({ name: 'specimens', fields: 'number:string:unique,amountCents:int,paid:boolean?', jobs: true })).rejects.toThrow(
        'Cannot create the module "specimens": libs/specimens already exists',
      );
      expect(contentsOf(tree)).toEqual(after);
    });
  });

  describe('names', () => {
    it('specimen-lines: SpecimenLine, files specimen-line.*, schema and table specimen_lines, path /specimen-lines', async () => {
      await run({ name: 'specimen-lines' });

      expect(tree.exists('libs/specimen-lines/contracts/src/lib/specimen-line.dto.ts')).toBe(true);
      expect(tree.read('libs/specimen-lines/contracts/src/lib/specimen-line.dto.ts', 'utf-8')).toContain(
        'export class CreateSpecimenLineDto',
      );
      expect(tree.read('libs/specimen-lines/contracts/src/lib/specimen-lines.errors.ts', 'utf-8')).toContain(
        "'specimen-lines.specimen_line_not_found'",
      );
      expect(tree.read('libs/specimen-lines/data-access/src/lib/specimen-line.entity.ts', 'utf-8')).toContain(
        "@Entity({ schema: 'specimen_lines', name: 'specimen_lines' })",
      );
      expect(tree.read(`migrations/src/specimen-lines/${NOW}-create-specimen-lines.ts`, 'utf-8')).toContain(
        'CREATE TABLE specimen_lines.specimen_lines (',
      );
      expect(tree.read('libs/specimen-lines/presentation/src/lib/specimen-lines.controller.ts', 'utf-8')).toContain(
        "@Controller('specimen-lines')",
      );
      expect(tree.read('apps/server/src/application.ts', 'utf-8')).toContain(
        "'specimen-lines': { presentation: SpecimenLinesPresentationModule, business: SpecimenLinesBusinessModule, 'data-access': SpecimenLinesDataAccessModule }",
      );
    });

    it('categories: Category', async () => {
      await run({ name: 'categories' });

      expect(tree.read('libs/categories/contracts/src/lib/category.dto.ts', 'utf-8')).toContain('export class CategoryDto');
      expect(tree.read('libs/categories/contracts/src/lib/categories.port.ts', 'utf-8')).toContain('listCategories');
    });

    it('--entity names the singular: people --entity=person', async () => {
      await run({ name: 'people', entity: 'person' });

      expect(tree.read('libs/people/data-access/src/lib/person.record.ts', 'utf-8')).toContain('export interface PersonRecord');
      expect(tree.read('libs/people/contracts/src/lib/people.errors.ts', 'utf-8')).toContain("'people.person_not_found'");
    });

    it('--entity in PascalCase: specimen-lines --entity=SpecimenLine', async () => {
      await run({ name: 'specimen-lines', entity: 'SpecimenLine' });

      expect(tree.exists('libs/specimen-lines/data-access/src/lib/specimen-line.record.ts')).toBe(true);
    });

    it('without --jobs: no job, no worker, no workers anywhere', async () => {
      const before = contentsOf(tree);
      await run({ name: 'notes' });

      expect([...contentsOf(tree).keys()].filter((path) => /jobs|worker/.test(path) && !before.has(path))).toEqual([]);
      expect(tree.read('apps/server/src/application.ts', 'utf-8')).not.toContain('NotesWorkersModule');
      expect(unitsOf(tree, 'split')['worker'].workers).not.toContain('notes');
      expect(unitsOf(tree, 'orders-service')['core'].workers).toEqual(unitsIn(before, 'orders-service')['core'].workers);
    });

    it('without --jobs or unique fields: a plain idempotent insert, no transaction, no outbox', async () => {
      await run({ name: 'notes' });

      const repository = tree.read('libs/notes/data-access/src/lib/typeorm-note.repository.ts', 'utf-8') as string;
      expect(repository).toContain(
        [
          '      await this.notes.insert(entity);',
          '    } catch (error) {',
          '      if (!isUniqueViolation(error)) throw error;',
          '      // The same id: an earlier attempt of the same request recorded it, which is the answer.',
          '      const recorded = await this.findById(newNote.id);',
          '      if (recorded) return recorded;',
          '      throw error;',
          '    }',
          '    return toNoteRecord(entity);',
        ].join('\n'),
      );
      expect(repository).not.toMatch(/transaction|Outbox|Duplicate/);
      const dataAccess = tree.read('libs/notes/data-access/src/lib/notes-data-access.module.ts', 'utf-8') as string;
      expect(dataAccess).toContain("provideIdempotencyStore(NotesIdempotency, 'notes'),");
      expect(dataAccess).not.toMatch(/QueueModule|provideOutboxRelay/);
      const migration = tree.read(`migrations/src/notes/${NOW}-create-notes.ts`, 'utf-8') as string;
      expect(migration).toContain('CREATE TABLE notes.idempotency_keys (');
      expect(migration).not.toContain('outbox');
      // Without a unique field, another body differs in its first field.
      expect(tree.read('apps/server/test/notes.e2e-spec.ts', 'utf-8')).toContain(".send({ ...body, name: 'Another example' })");
    });

    it('runs the workers where the data-access tier is, when no unit runs workers yet: that unit relays the jobs already', async () => {
      tree.write(
        'topologies/tiers.json',
        JSON.stringify({
          units: {
            api: { hosts: ['*/presentation'], httpPort: 3000 },
            logic: { hosts: ['*/business'], httpPort: 3001, internalPort: 4001 },
            data: { hosts: ['*/data-access'], httpPort: 3002, internalPort: 4002 },
          },
        }),
      );

      await run({ name: 'specimens', jobs: true });

      expect(unitsOf(tree, 'tiers')['data'].workers).toEqual(['specimens']);
      expect(unitsOf(tree, 'tiers')['logic'].workers).toBeUndefined();
    });

    it('--placeWith=orders puts the workers with the orders workers', async () => {
      const before = contentsOf(tree);
      await run({ name: 'specimens', jobs: true, placeWith: 'orders' });

      const units = unitsOf(tree, 'orders-service');
      // Each right after the orders module's own entry, whatever else the unit holds.
      const ordersBefore = unitsIn(before, 'orders-service')['orders'];
      const after = (list: string[], entry: string, added: string) => list.flatMap((item) => (item === entry ? [item, added] : [item]));
      expect(units['orders'].hosts).toEqual(after(ordersBefore.hosts ?? [], 'orders/*', 'specimens/*'));
      expect(units['orders'].workers).toEqual(after(ordersBefore.workers ?? [], 'orders', 'specimens'));
      expect(units['core'].workers).toEqual(unitsIn(before, 'orders-service')['core'].workers);
    });
  });

  describe('fields', () => {
    it('every type, optional and unique, in the DTO, the entity and the migration', async () => {
      await run({
        name: 'events',
        fields: 'title:string:unique,body:text?,seats:int:unique,open:boolean,startsAt:datetime?,venueId:uuid:unique',
      });

      const dto = tree.read('libs/events/contracts/src/lib/event.dto.ts', 'utf-8') as string;
      expect(dto).toMatch(/@IsText\(\{ max: 200 \}\)\s+title!: string;/);
      expect(dto).toMatch(/@IsOptional\(\)\s+@IsText\(\{ min: 0, max: 10000 \}\)\s+body\?: string \| null;/);
      expect(dto).toContain("import { IsDateTime, IsId, IsIntBetween, IsText, PageQuery, type Page } from '@strata/platform/ports';");
      expect(dto).not.toMatch(/IsString|MinLength|MaxLength|IsInt\(|Min\(|Max\(|IsISO8601|IsRFC3339/);
      expect(dto).toMatch(/@IsIntBetween\(\{ min: -2147483648, max: 2147483647 \}\)\s+seats!: number;/);
      expect(dto).toMatch(/@IsBoolean\(\)\s+open!: boolean;/);
      expect(dto).toMatch(/@IsOptional\(\)\s+@IsDateTime\(\)\s+startsAt\?: string \| null;/);
      expect(dto).toMatch(/@IsId\(\)\s+venueId!: string;/);

      const entity = tree.read('libs/events/data-access/src/lib/event.entity.ts', 'utf-8') as string;
      expect(entity).toContain("@Column({ name: 'starts_at', type: 'timestamptz', nullable: true })\n  startsAt!: Date | null;");
      expect(entity).toContain("@Column({ name: 'venue_id', type: 'uuid' })\n  venueId!: string;");

      const migration = tree.read(`migrations/src/events/${NOW}-create-events.ts`, 'utf-8') as string;
      expect(migration).toContain('starts_at  timestamptz,');
      expect(migration).toContain('seats      integer NOT NULL,');
      expect(migration).toContain('CREATE UNIQUE INDEX events_title_lower_key ON events.events (lower(title))');
      expect(migration).toContain('CREATE UNIQUE INDEX events_seats_key ON events.events (seats)');
      expect(migration).toContain('CREATE UNIQUE INDEX events_venue_id_key ON events.events (venue_id)');

      const errors = tree.read('libs/events/contracts/src/lib/events.errors.ts', 'utf-8') as string;
      expect(errors.match(/class Duplicate\w+Error/g)).toEqual([
        'class DuplicateEventTitleError',
        'class DuplicateEventSeatsError',
        'class DuplicateEventVenueIdError',
      ]);
      expect(errors).toContain("'events.duplicate_venue_id'");
    });

    it('defaults to name:string', async () => {
      await run({ name: 'tags' });

      expect(tree.read('libs/tags/data-access/src/lib/tag.record.ts', 'utf-8')).toContain('name: string;');
    });
  });

  describe('refusals: one line, nothing written', () => {
    it.each<[string, Partial<ModuleGeneratorSchema> & { name: string }, RegExp]>([
      ['a name not in kebab-case', { name: 'Bad_Name' }, /^Invalid module name "Bad_Name"/],
      ['a name starting with a digit', { name: '1x' }, /^Invalid module name "1x"/],
      ['an empty name', { name: '' }, /^Invalid module name/],
      ['a workspace name', { name: 'platform' }, /"platform" is reserved by the workspace/],
      ['another workspace name', { name: 'migrations', entity: 'migration' }, /"migrations" is reserved by the workspace/],
      ['a PostgreSQL reserved word', { name: 'order', entity: 'order-item' }, /"order" is a reserved word in PostgreSQL/],
      ['a reserved singular', { name: 'users' }, /entity name "user": "user" is a reserved word in PostgreSQL/],
      ['a reserved singular (group)', { name: 'groups' }, /"group" is a reserved word in PostgreSQL/],
      ['an existing module', { name: 'customers' }, /Cannot create the module "customers": libs\/customers already exists/],
      ['an unknown --placeWith', { name: 'specimens', placeWith: 'billing' }, /--placeWith "billing" is not a module of this workspace/],
      ['a singular it cannot derive', { name: 'staff' }, /Cannot derive the singular of "staff": pass it with --entity/],
      ['a plural that is its own singular', { name: 'series' }, /Cannot derive the singular of "series": pass it with --entity/],
      ['an invalid --entity', { name: 'specimens', entity: 'in voice' }, /^Invalid --entity/],
      ['a field without a type', { name: 'specimens', fields: 'number' }, /^Invalid field "number"/],
      ['an unknown field type', { name: 'specimens', fields: 'amount:money' }, /unknown type "money"/],
      ['a field name not in camelCase', { name: 'specimens', fields: 'Amount:int' }, /^Invalid field "Amount:int"/],
      [
        'a duplicate field',
        { name: 'specimens', fields: 'amount:int,amount:string' },
        /the field "amount" \(column amount\) is given twice/,
      ],
      ['a reserved field: id', { name: 'specimens', fields: 'id:uuid' }, /are generated/],
      ['a reserved field: createdAt', { name: 'specimens', fields: 'createdAt:datetime' }, /are generated/],
      ['a reserved field with jobs: processedAt', { name: 'specimens', fields: 'processedAt:datetime', jobs: true }, /are generated/],
      ['a PostgreSQL reserved column', { name: 'specimens', fields: 'order:int' }, /"order" is a reserved word in PostgreSQL/],
      ['a JavaScript reserved field', { name: 'specimens', fields: 'delete:boolean' }, /"delete" is a reserved word in JavaScript/],
      ['an empty --fields', { name: 'specimens', fields: ' ' }, /^Invalid --fields: it is empty; give at least one field/],
      // The singular read from the name is reserved: the message says how to choose another.
      [
        'a module whose singular is a JavaScript reserved word',
        { name: 'returns' },
        /"return" is a reserved word in JavaScript; pass another with --entity \(e\.g\. --entity=returns-item\)$/,
      ],
      // A DTO property named after one of Object.prototype's does not type-check against it.
      [
        'a field named as every object’s isPrototypeOf',
        { name: 'specimens', fields: 'isPrototypeOf:string' },
        /"isPrototypeOf" is a reserved word/,
      ],
      [
        'a field named as every object’s toLocaleString',
        { name: 'specimens', fields: 'toLocaleString:int?' },
        /"toLocaleString" is a reserved word/,
      ],
      [
        'an entity whose port would be named as a class its repository imports (InjectRepository)',
        { name: 'injects' },
        /its generated libs\/injects\/data-access\/src\/lib\/typeorm-inject.repository.ts would have two things named InjectRepository/,
      ],
      ['an existing module whose singular is a reserved word: told it exists', { name: 'orders' }, /libs\/orders already exists/],
      [
        'the plural of an entity another module has: told of the entity, not of a test file',
        { name: 'products' },
        /already declares a class ProductDto|already declares a class CreateProductDto/,
      ],
      ['a unique boolean', { name: 'specimens', fields: 'paid:boolean:unique' }, /a boolean cannot be unique/],
      ['a unique text', { name: 'specimens', fields: 'label:text:unique' }, /a text cannot be unique/],
      [
        'an entity another module has (its DTOs would be one schema in the API document)',
        { name: 'stock-items', entity: 'product' },
        /product.dto.ts already declares a class CreateProductDto/,
      ],
      ['an empty field', { name: 'specimens', fields: 'amount:int,' }, /^Invalid --fields/],
    ])('%s', async (_, options, message) => {
      const before = contentsOf(tree);

      const failure = run(options);

      await expect(failure).rejects.toThrow(message);
      await failure.catch((error: Error) => expect(error.message).not.toContain('\n'));
      expect(contentsOf(tree)).toEqual(before);
    });

    it('an alias or schema that exists already, even without the folder', async () => {
      tree.write('migrations/src/other/1-create-other.ts', 'await queryRunner.query(`CREATE SCHEMA specimens`);');
      const before = contentsOf(tree);

      await expect(run({ name: 'specimens' })).rejects.toThrow('a migration already creates the PostgreSQL schema "specimens"');
      expect(contentsOf(tree)).toEqual(before);
    });
  });

  /*
   * Names, fields and values that once made the generated code fail: it did not compile, or it
   * answered 500 where a 400 was due.
   */
  describe('what once broke the generated code', () => {
    /** Where the tree's paths are on disk: what the compiler reads when the tree does not have a file. */
    const root = join(__dirname, '../../../../..');

    /**
     * The type errors of every file the generator wrote, type-checked as the modules' `typecheck`
     * targets do (tsconfig.base.json with the generated path aliases, node and jest types): the
     * generated files are read from the tree, everything else (the platform, node_modules) from disk.
     */
    function typeErrors(generated: string[]): string[] {
      const fromTree = (file: string): string | undefined => {
        const path = relative(root, file);
        return !path.startsWith('..') && tree.exists(path) && tree.isFile(path) ? (tree.read(path, 'utf-8') as string) : undefined;
      };
      const config = ts.parseJsonConfigFileContent(
        { ...JSON.parse(fromTree(join(root, 'tsconfig.base.json')) as string), include: [] },
        ts.sys,
        root,
      );
      const options = { ...config.options, types: ['node', 'jest'], noEmit: true };
      const host = ts.createCompilerHost(options);
      const treeDirectory = (directory: string) => {
        const path = relative(root, directory);
        return !path.startsWith('..') && path !== '' && tree.children(path).length > 0;
      };
      host.fileExists = (file) => fromTree(file) !== undefined || ts.sys.fileExists(file);
      host.readFile = (file) => fromTree(file) ?? ts.sys.readFile(file);
      host.directoryExists = (directory) => treeDirectory(directory) || ts.sys.directoryExists(directory);
      const getSourceFile = host.getSourceFile.bind(host);
      host.getSourceFile = (file, language, onError) => {
        const text = fromTree(file);
        return text === undefined ? getSourceFile(file, language, onError) : ts.createSourceFile(file, text, language);
      };
      const files = generated.map((path) => join(root, path));
      const program = ts.createProgram(files, options, host);
      return files
        .flatMap((file) => ts.getPreEmitDiagnostics(program, program.getSourceFile(file)))
        .map((diagnostic) => {
          const where = diagnostic.file ? `${relative(root, diagnostic.file.fileName)}: ` : '';
          return `${where}TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`;
        });
    }

    describe('names that are the identifiers of the generated code', () => {
      it('type-checks modules whose entity or module is named like a local, a parameter or a member of the generated classes', async () => {
        const before = contentsOf(tree);
        // Each was a type error: a local or parameter shadowed by (or the same as) the entity's
        // or module's name, or a member of a base class redeclared.
        const modules: (Partial<ModuleGeneratorSchema> & { name: string })[] = [
          { name: 'errors', fields: 'code:string:unique' }, // catch (error) beside an `error` parameter
          { name: 'entities', fields: 'label:string:unique' }, // const entity beside an `entity` parameter
          { name: 'managers', jobs: true }, // the transaction's (manager) beside a `manager` parameter
          { name: 'recordeds', fields: 'tag:int:unique', jobs: true }, // const recorded
          { name: 'results', fields: 'score:int:unique', jobs: true }, // const results in the repository spec
          { name: 'handlers', jobs: true }, // JobsWorker's private `handlers`
          { name: 'expects', jobs: true }, // the end-to-end spec's local shadowing expect
          { name: 'records', fields: 'startsAt:datetime?,ownerId:uuid:unique' },
          { name: 'pages' },
          { name: 'queries' },
          { name: 'database', entity: 'database-entry', jobs: true }, // the repository spec's `database`
          { name: 'queue', entity: 'queue-entry', jobs: true }, // the repository spec's `queue`
        ];
        for (const options of modules) await run(options);

        const generated = [...contentsOf(tree).keys()].filter((path) => !before.has(path) && path.endsWith('.ts'));
        expect(generated.length).toBeGreaterThan(modules.length * 15);
        expect(typeErrors(generated)).toEqual([]);
      }, 120_000);

      it.each([
        ['idempotency', 'key'],
        ['data-source', 'source'],
        ['list', 'entry'],
      ])('refuses the module %s (a member of the generated classes), writing nothing', async (name, entity) => {
        const before = contentsOf(tree);

        await expect(run({ name, entity, jobs: true })).rejects.toThrow(
          new RegExp(`^Invalid module name "${name}": "\\w+" is a member of the generated classes$`),
        );
        expect(contentsOf(tree)).toEqual(before);
      });
    });

    /** The create DTO class the generator wrote, compiled and loaded (with the real class-validator and platform). */
    function createDto(path: string, className: string): new () => object {
      const source = tree.read(path, 'utf-8') as string;
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2022,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          useDefineForClassFields: false,
          esModuleInterop: true,
        },
      });
      const exports: Record<string, unknown> = {};
      new Function('require', 'exports', outputText)((specifier: string) => jest.requireActual(specifier), exports);
      return exports[className] as new () => object;
    }

    describe('datetime fields: only what is stored as sent', () => {
      /** The properties a body is refused for, with their messages. */
      const refusals = (dto: new () => object, body: object) =>
        validateSync(plainToInstance(dto, body) as object, { whitelist: true, forbidNonWhitelisted: true }).map(
          (error) => `${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`,
        );

      it('accepts an RFC 3339 date-time with an offset, read as the instant it names; refuses the rest with a 400 naming the field', async () => {
        await run({ name: 'events', fields: 'startsAt:datetime' });
        const dto = createDto('libs/events/contracts/src/lib/event.dto.ts', 'CreateEventDto');

        const accepted: [string, string][] = [
          ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.000Z'],
          ['2026-01-02T03:04:05.000Z', '2026-01-02T03:04:05.000Z'],
          ['2026-01-02T03:04:05.5Z', '2026-01-02T03:04:05.500Z'],
          ['2026-01-02T03:04:05.123456Z', '2026-01-02T03:04:05.123Z'],
          ['2026-01-02T03:04:05+01:00', '2026-01-02T02:04:05.000Z'],
          ['2026-01-02T03:04:05-05:30', '2026-01-02T08:34:05.000Z'],
          ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59.000Z'],
          ['2026-12-31T23:30:00-01:00', '2027-01-01T00:30:00.000Z'],
          // RFC 3339 allows a lower-case t and z; years 1 to 99 are years 1 to 99
          ['2026-01-02t03:04:05z', '2026-01-02T03:04:05.000Z'],
          ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
          ['0099-05-01T12:00:00Z', '0099-05-01T12:00:00.000Z'],
        ];
        for (const [value, instant] of accepted) {
          expect([value, refusals(dto, { startsAt: value })]).toEqual([value, []]);
          expect([value, new Date(value).toISOString()]).toEqual([value, instant]);
        }

        const refused = [
          // ISO 8601 that `new Date` cannot read: once a 500 (the stored value was "0NaN-NaN-NaN...")
          '2026-W01',
          '2026-W01-2',
          '20260102',
          '2026-100',
          '2026-01-02T030405Z',
          '20260102T030405Z',
          '2026-01-02T03:04:05,5Z',
          '2026-01-02T03Z',
          '2026-01-02T03:04Z',
          // no offset: the server's local time, ambiguous
          '2026-01-02T03:04:05',
          '2026-01-02T03:04:05.000',
          '2026-01-02',
          // not a date and time that exists, or one `new Date` rolls over or refuses
          '2026-02-30T00:00:00Z',
          '2026-02-29T00:00:00Z',
          '2026-01-02T03:04:60Z',
          '2026-01-02T24:00:00Z',
          '2026-13-01T00:00:00Z',
          // an instant outside years 1 to 9999 in UTC: PostgreSQL refuses year 0, and a year past 9999 answers as +010000-...
          '9999-12-31T23:59:59-14:00',
          '0001-01-01T00:30:00+01:00',
          // not one value
          '2026-01-02 03:04:05Z',
          'not a date',
          '',
          42,
          true,
        ];
        for (const value of refused) {
          const messages = refusals(dto, { startsAt: value });
          expect([value, messages]).toEqual([
            value,
            [
              expect.stringMatching(
                /^startsAt: startsAt must be (an RFC 3339 date-time with an offset|a date and time that exists|from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z)/,
              ),
            ],
          ]);
        }
      });

      it('every value the DTO accepts converts to a valid Date, at the instant it names', async () => {
        await run({ name: 'events', fields: 'startsAt:datetime' });
        const dto = createDto('libs/events/contracts/src/lib/event.dto.ts', 'CreateEventDto');
        const pad = (n: number, width = 2) => String(n).padStart(width, '0');
        // Edge values of each part, combined: months, days (some that do not exist), times, fractions, offsets.
        const candidates: string[] = [];
        for (const [year, month, day] of [
          [1, 1, 1],
          [2024, 2, 29],
          [2025, 2, 29],
          [2026, 4, 31],
          [2026, 6, 30],
          [9999, 12, 31],
        ])
          for (const time of ['00:00:00', '23:59:59', '23:59:60', '12:30:00.1', '12:30:00.999999'])
            for (const offset of ['Z', 'z', '+00:00', '-00:00', '+14:00', '-12:30', '+23:59', '+24:00'])
              candidates.push(`${pad(year, 4)}-${pad(month)}-${pad(day)}T${time}${offset}`);
        // Other ISO 8601 forms: week, ordinal and basic dates, basic and reduced times, a comma, no offset.
        candidates.push('2026-W01', '2026-W01-2T03:04:05Z', '20260102', '2026-100', '2026-002T03:04:05Z', '20260102T030405Z');
        candidates.push('2026-01-02T030405Z', '2026-01-02T03:04:05,5Z', '2026-01-02T03Z', '2026-01-02T03:04Z', '2026-01-02T03:04:05');

        const accepted = candidates.filter((value) => refusals(dto, { startsAt: value }).length === 0);

        expect(accepted.length).toBeGreaterThan(50);
        for (const value of accepted) {
          const parts = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:[Zz]|([+-])(\d\d):(\d\d))$/.exec(value);
          // Only the extended date-time with an offset: what `new Date` reads the same everywhere.
          expect([value, parts !== null]).toEqual([value, true]);
          const [, y, mo, d, h, mi, s, fraction = '', sign, oh = '0', om = '0'] = parts as RegExpExecArray;
          const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
          const calendar = new Date(0);
          calendar.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
          calendar.setUTCHours(Number(h), Number(mi), Number(s), Number(fraction.padEnd(3, '0').slice(0, 3)));
          // The date as written exists (no rollover), and `new Date` reads the same instant.
          expect([value, calendar.getUTCDate(), calendar.getUTCSeconds()]).toEqual([value, Number(d), Number(s)]);
          expect([value, new Date(value).getTime()]).toEqual([value, calendar.getTime() - offsetMinutes * 60_000]);
          // And it is answered in the same form: four digits of year, not `+010000-...`.
          expect([value, new Date(value).toISOString()]).toEqual([value, expect.stringMatching(/^\d{4}-/)]);
        }
      });

      it('documents the format in the DTO and the API', async () => {
        await run({ name: 'events', fields: 'startsAt:datetime?' });

        const dto = tree.read('libs/events/contracts/src/lib/event.dto.ts', 'utf-8') as string;
        expect(dto).toContain("import { IsOptional } from 'class-validator';");
        expect(dto).toContain("import { IsDateTime, PageQuery, type Page } from '@strata/platform/ports';");
        expect(dto).toContain("description: 'RFC 3339, with an offset (Z or ±hh:mm); stored to the millisecond'");
      });
    });

    describe('uuid fields and the 409 messages', () => {
      it('lower-cases a uuid on the way in, so the 201 says what a later GET does', async () => {
        await run({ name: 'bookings', fields: 'roomId:uuid,guestId:uuid?' });
        const dto = createDto('libs/bookings/contracts/src/lib/booking.dto.ts', 'CreateBookingDto');

        const body = plainToInstance(dto, { roomId: '3F2504E0-4F89-41D3-9A0C-0305E82C3301', guestId: null }) as Record<string, unknown>;

        expect(validateSync(body)).toEqual([]);
        expect(body).toEqual({ roomId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', guestId: null });
        expect(validateSync(plainToInstance(dto, { roomId: 42 }) as object).map((error) => error.property)).toEqual(['roomId']);
      });

      it('quotes a duplicate value in the 409 message when it is a string, not when it is a number', async () => {
        await run({ name: 'events', fields: 'title:string:unique,seats:int:unique,venueId:uuid:unique' });

        const errors = tree.read('libs/events/contracts/src/lib/events.errors.ts', 'utf-8') as string;
        expect(errors).toContain('`An event with title "${title}" already exists`');
        expect(errors).toContain('`An event with seats ${seats} already exists`');
        expect(errors).toContain('`An event with venue id "${venueId}" already exists`');
        const controller = tree.read('libs/events/presentation/src/lib/events.controller.ts', 'utf-8') as string;
        expect(controller).toContain("@ApiConflictResponse({ description: 'The title or the seats or the venue id is taken.' })");
      });

      it('names the job by its name in the comments and the API document: the line-item-created job', async () => {
        await run({ name: 'line-items', fields: 'label:string', jobs: true });

        const written = [
          'contracts/src/lib/line-item.dto.ts',
          'data-access/src/lib/line-item.record.ts',
          'business/src/lib/line-items.service.ts',
        ]
          .map((path) => tree.read(`libs/line-items/${path}`, 'utf-8') as string)
          .join('\n');
        expect(written).toContain('line-item-created job');
        expect(written).not.toContain('line item-created');
      });
    });

    describe("fields whose column is a generated one or another field's", () => {
      it.each<[string, Partial<ModuleGeneratorSchema> & { name: string }, RegExp]>([
        [
          'createdAT: the column created_at',
          { name: 'notes', fields: 'createdAT:string' },
          /^Invalid field "createdAT:string": .*created_at.* are generated/,
        ],
        [
          'processedAT with --jobs: the column processed_at',
          { name: 'notes', fields: 'title:string,processedAT:datetime?', jobs: true },
          /^Invalid field "processedAT:datetime\?": .*processed_at.* are generated/,
        ],
        [
          'fooBar and fooBAR: both foo_bar',
          { name: 'notes', fields: 'fooBar:string,fooBAR:int' },
          /the fields "fooBar" and "fooBAR" are both the column foo_bar/,
        ],
      ])('refuses %s, writing nothing', async (_, options, message) => {
        const before = contentsOf(tree);

        await expect(run(options)).rejects.toThrow(message);
        expect(contentsOf(tree)).toEqual(before);
      });
    });

    describe('singulars, derived by the pluralize package', () => {
      it.each([
        ['movies', 'Movie'],
        ['cookies', 'Cookie'],
        ['caches', 'Cache'],
        ['heroes', 'Hero'],
        ['wolves', 'Wolf'],
        ['aliases', 'Alias'],
        ['quizzes', 'Quiz'],
        ['indices', 'Index'],
        ['crises', 'Crisis'],
        ['people', 'Person'],
        ['statuses', 'Status'],
        ['movie-aliases', 'MovieAlias'],
        ['specimens', 'Specimen'],
        ['blood-specimens', 'BloodSpecimen'],
        ['women', 'Woman'],
      ])('%s: %s', (name, entity) => {
        expect(normalizeOptions({ name }).entity.className).toBe(entity);
      });

      it.each<[string, Partial<ModuleGeneratorSchema> & { name: string }, RegExp]>([
        [
          'an uncountable: series',
          { name: 'series' },
          /^Cannot derive the singular of "series": pass it with --entity \(e\.g\. --entity=series-item\)/,
        ],
        [
          'an uncountable: news',
          { name: 'news' },
          /^Cannot derive the singular of "news": pass it with --entity \(e\.g\. --entity=news-item\)/,
        ],
        [
          'an uncountable last word: tv-series',
          { name: 'tv-series' },
          /^Cannot derive the singular of "tv-series": pass it with --entity \(e\.g\. --entity=tv-series-item\)/,
        ],
        [
          'a singular: invoice',
          { name: 'invoice' },
          /^Cannot derive the singular of "invoice": .*in the plural \(e\.g\. invoices, whose entity is invoice\)/,
        ],
        [
          'a singular pluralize reads as the plural of a -man word: specimen',
          { name: 'specimen' },
          /^Cannot derive the singular of "specimen": .*in the plural \(e\.g\. specimens, whose entity is specimen\)/,
        ],
        [
          'an uncountable pluralize reads as the plural of a -man word: semen',
          { name: 'semen' },
          /^Cannot derive the singular of "semen": pass it with --entity \(e\.g\. --entity=semen-item\)/,
        ],
        [
          'an --entity equal to the module',
          { name: 'series', entity: 'series' },
          /the singular must differ from the module name "series"; pass another with --entity/,
        ],
      ])('refuses %s with a real singular in the hint', async (_, options, message) => {
        const before = contentsOf(tree);

        await expect(run(options)).rejects.toThrow(message);
        expect(contentsOf(tree)).toEqual(before);
      });
    });

    describe('schemas PostgreSQL or the workspace keep for themselves, and tables every module has', () => {
      it.each<[string, Partial<ModuleGeneratorSchema> & { name: string }, RegExp]>([
        ['pg_items', { name: 'pg-items' }, /^Invalid module name "pg-items": PostgreSQL reserves the schema prefix "pg_"/],
        ['pg_catalog', { name: 'pg-catalog', entity: 'entry' }, /reserves the schema prefix "pg_"/],
        ['information_schema', { name: 'information-schema', entity: 'info' }, /the PostgreSQL schema "information_schema" is reserved/],
        ['public', { name: 'public', entity: 'public-item' }, /the PostgreSQL schema "public" is reserved/],
        ["bullmq, the queue's", { name: 'bullmq', entity: 'bullmq-job' }, /the PostgreSQL schema "bullmq" is reserved/],
        // Its entity's table is named after it: a second idempotency_keys or outbox table in its schema.
        [
          'idempotency-keys',
          { name: 'idempotency-keys' },
          /its table would be idempotency_keys\.idempotency_keys, and every module's schema has a table "idempotency_keys"/,
        ],
        ['outbox', { name: 'outbox', entity: 'outbox-entry' }, /its table would be outbox\.outbox/],
      ])('refuses %s, writing nothing', async (_, options, message) => {
        const before = contentsOf(tree);

        await expect(run(options)).rejects.toThrow(message);
        expect(contentsOf(tree)).toEqual(before);
      });
    });
  });
});
