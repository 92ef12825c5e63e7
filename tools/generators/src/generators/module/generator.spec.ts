import { logger, readJson, type Tree } from '@nx/devkit';
import { moduleGenerator } from './generator';
import { contentsOf, workspaceTree } from './test-tree';
import type { ModuleGeneratorSchema } from './schema';

// Exact text, not the formatter's: formatting is prettier's business, checked in the scratch runs.
process.env['NX_SKIP_FORMAT'] = 'true';

const NOW = 1_800_000_000_000;

interface Unit {
  hosts?: string[];
  workers?: string[];
}
const unitsOf = (tree: Tree, topology: string): Record<string, Unit> => readJson(tree, `topologies/${topology}.json`).units;

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

  describe('invoices --fields=number:string:unique,amountCents:int,paid:boolean? --jobs', () => {
    let before: Map<string, string>;

    beforeEach(async () => {
      before = contentsOf(tree);
      await run({ name: 'invoices', fields: 'number:string:unique,amountCents:int,paid:boolean?', jobs: true });
    });

    it('creates the four tier projects, the migration and the end-to-end spec', () => {
      const created = [...contentsOf(tree).keys()].filter((path) => !before.has(path)).sort();

      expect(created).toEqual(
        [
          'apps/server/test/invoices.e2e-spec.ts',
          'libs/invoices/business/jest.config.js',
          'libs/invoices/business/project.json',
          'libs/invoices/business/src/index.ts',
          'libs/invoices/business/src/lib/invoice-jobs.worker.spec.ts',
          'libs/invoices/business/src/lib/invoice-jobs.worker.ts',
          'libs/invoices/business/src/lib/invoice.mapper.ts',
          'libs/invoices/business/src/lib/invoices-business.module.ts',
          'libs/invoices/business/src/lib/invoices-workers.module.ts',
          'libs/invoices/business/src/lib/invoices.service.spec.ts',
          'libs/invoices/business/src/lib/invoices.service.ts',
          'libs/invoices/business/tsconfig.json',
          'libs/invoices/contracts/project.json',
          'libs/invoices/contracts/src/index.ts',
          'libs/invoices/contracts/src/lib/invoice.dto.ts',
          'libs/invoices/contracts/src/lib/invoices.errors.ts',
          'libs/invoices/contracts/src/lib/invoices.jobs.ts',
          'libs/invoices/contracts/src/lib/invoices.port.ts',
          'libs/invoices/contracts/tsconfig.json',
          'libs/invoices/data-access/jest.config.js',
          'libs/invoices/data-access/project.json',
          'libs/invoices/data-access/src/index.ts',
          'libs/invoices/data-access/src/lib/invoice.entity.ts',
          'libs/invoices/data-access/src/lib/invoice.record.ts',
          'libs/invoices/data-access/src/lib/invoice.repository.ts',
          'libs/invoices/data-access/src/lib/invoices-data-access.module.ts',
          'libs/invoices/data-access/src/lib/invoices-idempotency.ts',
          'libs/invoices/data-access/src/lib/typeorm-invoice.repository.spec.ts',
          'libs/invoices/data-access/src/lib/typeorm-invoice.repository.ts',
          'libs/invoices/data-access/tsconfig.json',
          'libs/invoices/presentation/project.json',
          'libs/invoices/presentation/src/index.ts',
          'libs/invoices/presentation/src/lib/invoices-presentation.module.ts',
          'libs/invoices/presentation/src/lib/invoices.controller.ts',
          'libs/invoices/presentation/tsconfig.json',
          `migrations/src/invoices/${NOW}-create-invoices.ts`,
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

    it('tags each project scope:invoices and type:<tier>', () => {
      for (const tier of ['contracts', 'data-access', 'business', 'presentation']) {
        expect(readJson(tree, `libs/invoices/${tier}/project.json`)).toMatchObject({
          name: `invoices-${tier}`,
          tags: ['scope:invoices', `type:${tier}`],
        });
      }
    });

    it('adds the four path aliases, each at its sorted place', () => {
      const aliases = paths(tree);

      expect(aliases.filter((alias) => alias.startsWith('@strata/invoices/'))).toEqual([
        '@strata/invoices/business',
        '@strata/invoices/contracts',
        '@strata/invoices/data-access',
        '@strata/invoices/presentation',
      ]);
      expect(aliases).toEqual([...aliases].sort());
      expect(readJson(tree, 'tsconfig.base.json').compilerOptions.paths['@strata/invoices/data-access']).toEqual([
        './libs/invoices/data-access/src/index.ts',
      ]);
    });

    it('imports the tiers into application.ts and registers the module with its workers', () => {
      const application = tree.read('apps/server/src/application.ts', 'utf-8') as string;

      expect(application).toContain("import { InvoicesBusinessModule, InvoicesWorkersModule } from '@strata/invoices/business';");
      expect(application).toContain("import { InvoicesDataAccessModule } from '@strata/invoices/data-access';");
      expect(application).toContain("import { InvoicesPresentationModule } from '@strata/invoices/presentation';");
      expect(application).toContain(
        "invoices: { presentation: InvoicesPresentationModule, business: InvoicesBusinessModule, 'data-access': InvoicesDataAccessModule, workers: InvoicesWorkersModule }",
      );
      // Right after the module it is placed with (customers), the order merge writes hosts back in.
      const at = (key: string) => application.indexOf(`${key}: {`);
      expect([at('catalog'), at('customers'), at('invoices'), at('orders')]).toEqual(
        [...[at('catalog'), at('customers'), at('invoices'), at('orders')]].sort((a, b) => a - b),
      );
      expect(at('invoices')).toBeGreaterThan(0);
      const imports = [...application.matchAll(/^import .* from '([^']+)';$/gm)].map((match) => match[1]);
      expect(imports.filter((specifier) => specifier.startsWith('@strata/'))).toEqual(
        [...imports.filter((specifier) => specifier.startsWith('@strata/'))].sort(),
      );
    });

    it('registers the migration last, with a timestamp after every other', () => {
      const index = tree.read('migrations/src/index.ts', 'utf-8') as string;

      expect(index).toContain(`import { CreateInvoices${NOW} } from './invoices/${NOW}-create-invoices';`);
      expect(index).toMatch(new RegExp(`, CreateInvoices${NOW}\\s*,?\\s*\\];`));
      expect(tree.read(`migrations/src/invoices/${NOW}-create-invoices.ts`, 'utf-8')).toContain(`export class CreateInvoices${NOW} `);
    });

    it('places the tiers beside customers in every topology and the workers with the other workers', () => {
      const split = unitsOf(tree, 'split');
      const followsCustomers = (hosts: string[] = [], tier: string) => hosts[hosts.indexOf(`customers/${tier}`) + 1] === `invoices/${tier}`;

      expect(followsCustomers(split['gateway'].hosts, 'presentation')).toBe(true);
      expect(followsCustomers(split['business'].hosts, 'business')).toBe(true);
      expect(followsCustomers(split['data'].hosts, 'data-access')).toBe(true);
      // In the application's order, where invoices now comes right after customers: before orders.
      expect(split['worker'].workers).toEqual(['invoices', 'orders']);

      const core = unitsOf(tree, 'orders-service')['core'];
      expect(core.hosts?.[core.hosts.indexOf('customers/*') + 1]).toBe('invoices/*');
      expect(core.workers).toEqual(['invoices']);
      expect(Object.keys(core).indexOf('workers')).toBe(Object.keys(core).indexOf('hosts') + 1);

      expect(tree.read('topologies/monolith.json', 'utf-8')).toBe(before.get('topologies/monolith.json'));
    });

    it('declares the job, writes it to the outbox with the insert and handles it in an idempotent worker', () => {
      const read = (path: string) => tree.read(`libs/invoices/${path}`, 'utf-8') as string;

      expect(read('contracts/src/lib/invoices.jobs.ts')).toContain(
        "defineJob<InvoiceCreatedPayload>(INVOICES_QUEUE, 'invoices.invoice-created')",
      );
      const repository = read('data-access/src/lib/typeorm-invoice.repository.ts');
      expect(repository).toContain("const INVOICES_OUTBOX = new OutboxWriter('invoices.outbox');");
      // In the insert's transaction, after the insert: the job commits with the invoice or not at all.
      expect(repository).toMatch(
        /this\.dataSource\.transaction\(async \(manager\) => \{\n(.*\n)*?\s+await manager\.insert\(InvoiceEntity, entity\);\n(.*\n)*?\s+await INVOICES_OUTBOX\.write\(manager, InvoiceCreatedJob, \{ invoiceId: invoice\.id \}, \{ jobId: `created-\$\{invoice\.id\}` \}\);\n\s+\}\);/,
      );
      expect(repository).toContain("update({ id: invoiceId, processedAt: IsNull() }, { processedAt: () => 'now()' })");
      expect(read('data-access/src/lib/invoices-data-access.module.ts')).toContain(
        'imports: [TypeOrmModule.forFeature([InvoiceEntity]), QueueModule.forJobs(InvoiceCreatedJob)],',
      );
      expect(read('data-access/src/lib/invoices-data-access.module.ts')).toContain("provideOutboxRelay({ table: 'invoices.outbox' }),");
      expect(read('business/src/lib/invoice-jobs.worker.ts')).toMatch(/@OnJob\(InvoiceCreatedJob\)/);
      const migration = tree.read(`migrations/src/invoices/${NOW}-create-invoices.ts`, 'utf-8') as string;
      expect(migration).toContain('processed_at timestamptz\n');
      expect(migration).toContain('CREATE TABLE invoices.outbox (');
    });

    it('neither queues nor compensates in the service: no enqueue, no remove, no 503', () => {
      const generated = [...contentsOf(tree)].filter(([path]) => path.startsWith('libs/invoices/'));

      for (const [path, text] of generated) {
        expect([path, text]).toEqual([
          path,
          expect.not.stringMatching(/queue_unavailable|JobProducer|UnavailableError|\bremove\b|compensat/),
        ]);
      }
      expect(tree.read('libs/invoices/business/src/lib/invoices-business.module.ts', 'utf-8')).not.toContain('QueueModule');
    });

    it('honours Idempotency-Key on POST: a store beside the data, the create run through it, inserts idempotent by id', () => {
      const read = (path: string) => tree.read(`libs/invoices/${path}`, 'utf-8') as string;

      expect(read('data-access/src/lib/invoices-idempotency.ts')).toContain(
        "@IdempotencyPort('invoices.idempotency')\nexport abstract class InvoicesIdempotency extends IdempotencyStore {}",
      );
      expect(read('data-access/src/index.ts')).toContain("export * from './lib/invoices-idempotency';");
      expect(read('data-access/src/lib/invoices-data-access.module.ts')).toContain(
        "provideIdempotencyStore(InvoicesIdempotency, 'invoices'),",
      );
      expect(read('data-access/src/lib/invoices-data-access.module.ts')).toContain('exports: [InvoiceRepository, InvoicesIdempotency],');
      expect(read('business/src/lib/invoices.service.ts')).toContain(
        "return runIdempotently(this.idempotency, 'createInvoice', invoice, async (invoiceId) =>",
      );
      expect(read('presentation/src/lib/invoices.controller.ts')).toMatch(/@Post\(\)\n\s+@IdempotentRoute\(\)/);

      expect(read('data-access/src/lib/invoice.record.ts')).toMatch(/export interface NewInvoiceRecord \{\n(.*\n)\s+id: string;/);
      expect(read('data-access/src/lib/invoice.entity.ts')).toContain("@PrimaryColumn('uuid')");
      expect(read('data-access/src/lib/invoice.repository.ts')).toContain("insert: 'idempotent',");
      const repository = read('data-access/src/lib/typeorm-invoice.repository.ts');
      expect(repository).not.toMatch(/\.save\(/);
      // Any unique violation: the row recorded under the id is the answer, else the field's own error.
      expect(repository).toContain(
        [
          '      if (!isUniqueViolation(error)) throw error;',
          '      // The same id: an earlier attempt of the same request recorded it with its job, which is the answer',
          "      // (this attempt's transaction rolled back, so it wrote nothing more).",
          '      const recorded = await this.findById(invoice.id);',
          '      if (recorded) return recorded;',
          "      if (isUniqueViolation(error, 'invoices_number_lower_key')) throw new DuplicateInvoiceNumberError(invoice.number);",
        ].join('\n'),
      );
    });

    it("creates the idempotency keys and the outbox with exactly the samples' SQL", () => {
      const migration = sqlOf(tree.read(`migrations/src/invoices/${NOW}-create-invoices.ts`, 'utf-8') as string);

      expect(migration).toEqual(expect.arrayContaining(sampleSql(tree, 'customers', 'idempotency-keys', 'invoices')));
      expect(migration).toEqual(expect.arrayContaining(sampleSql(tree, 'orders', 'outbox', 'invoices')));
      expect(migration.filter((sql) => /idempotency_keys|outbox/.test(sql))).toHaveLength(3);
    });

    it('tests a retry: the same id twice in the repository spec, the same Idempotency-Key twice end to end', () => {
      expect(tree.read('libs/invoices/data-access/src/lib/typeorm-invoice.repository.spec.ts', 'utf-8')).toContain(
        "it('answers a second insert of the same id with the invoice recorded, even one racing it (a retried request)'",
      );
      expect(tree.read('libs/invoices/business/src/lib/invoices.service.spec.ts', 'utf-8')).toContain(
        'const idempotency = {} as InvoicesIdempotency;',
      );
      const e2e = tree.read('apps/server/test/invoices.e2e-spec.ts', 'utf-8') as string;
      expect(e2e).toContain('expect(retry.text).toBe(first.text);');
      expect(e2e).toContain("code: 'idempotency.key_reused'");
      expect(e2e).toContain(".send({ ...body, number: 'Another example' })");
    });

    it('writes the port, typed errors and a repository port speaking records', () => {
      const read = (path: string) => tree.read(`libs/invoices/${path}`, 'utf-8') as string;

      // Arguments of remote calls validated by the serving unit, with the DTO classes, as in the samples.
      expect(read('contracts/src/lib/invoices.port.ts')).toContain("createInvoice: { call: 'at-most-once', args: [CreateInvoiceDto] },");
      expect(read('contracts/src/lib/invoices.port.ts')).toContain("listInvoices: { call: 'idempotent', args: [ListInvoicesQuery] },");
      expect(read('contracts/src/lib/invoices.errors.ts')).toContain("'invoices.invoice_not_found'");
      expect(read('contracts/src/lib/invoices.errors.ts')).toContain('class DuplicateInvoiceNumberError extends ConflictError');
      expect(read('contracts/src/lib/invoices.errors.ts')).toContain("'invoices.duplicate_number'");
      expect(read('data-access/src/lib/invoice.repository.ts')).toContain(
        'abstract insert(invoice: NewInvoiceRecord): Promise<InvoiceRecord>;',
      );
      expect(read('data-access/src/lib/invoice.repository.ts')).not.toMatch(/Dto/);
      expect(read('data-access/src/lib/typeorm-invoice.repository.ts')).toContain(
        "if (isUniqueViolation(error, 'invoices_number_lower_key')) throw new DuplicateInvoiceNumberError(invoice.number);",
      );
      expect(read('presentation/src/lib/invoices.controller.ts')).toContain("@Controller('invoices')");
    });

    it('refuses a second run of the same command, changing nothing', async () => {
      const after = contentsOf(tree);

      await expect(run({ name: 'invoices', fields: 'number:string:unique,amountCents:int,paid:boolean?', jobs: true })).rejects.toThrow(
        'Cannot create the module "invoices": libs/invoices already exists',
      );
      expect(contentsOf(tree)).toEqual(after);
    });
  });

  describe('names', () => {
    it('line-items: LineItem, files line-item.*, schema and table line_items, path /line-items', async () => {
      await run({ name: 'line-items' });

      expect(tree.exists('libs/line-items/contracts/src/lib/line-item.dto.ts')).toBe(true);
      expect(tree.read('libs/line-items/contracts/src/lib/line-item.dto.ts', 'utf-8')).toContain('export class CreateLineItemDto');
      expect(tree.read('libs/line-items/contracts/src/lib/line-items.errors.ts', 'utf-8')).toContain("'line-items.line_item_not_found'");
      expect(tree.read('libs/line-items/data-access/src/lib/line-item.entity.ts', 'utf-8')).toContain(
        "@Entity({ schema: 'line_items', name: 'line_items' })",
      );
      expect(tree.read(`migrations/src/line-items/${NOW}-create-line-items.ts`, 'utf-8')).toContain('CREATE TABLE line_items.line_items (');
      expect(tree.read('libs/line-items/presentation/src/lib/line-items.controller.ts', 'utf-8')).toContain("@Controller('line-items')");
      expect(tree.read('apps/server/src/application.ts', 'utf-8')).toContain(
        "'line-items': { presentation: LineItemsPresentationModule, business: LineItemsBusinessModule, 'data-access': LineItemsDataAccessModule }",
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

    it('--entity in PascalCase: line-items --entity=LineItem', async () => {
      await run({ name: 'line-items', entity: 'LineItem' });

      expect(tree.exists('libs/line-items/data-access/src/lib/line-item.record.ts')).toBe(true);
    });

    it('without --jobs: no job, no worker, no workers anywhere', async () => {
      const before = contentsOf(tree);
      await run({ name: 'notes' });

      expect([...contentsOf(tree).keys()].filter((path) => /jobs|worker/.test(path) && !before.has(path))).toEqual([]);
      expect(tree.read('apps/server/src/application.ts', 'utf-8')).not.toContain('NotesWorkersModule');
      expect(unitsOf(tree, 'split')['worker'].workers).not.toContain('notes');
      expect(unitsOf(tree, 'orders-service')['core'].workers).toBeUndefined();
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
          '      const recorded = await this.findById(note.id);',
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

      await run({ name: 'invoices', jobs: true });

      expect(unitsOf(tree, 'tiers')['data'].workers).toEqual(['invoices']);
      expect(unitsOf(tree, 'tiers')['logic'].workers).toBeUndefined();
    });

    it('--placeWith=orders puts the workers with the orders workers', async () => {
      await run({ name: 'invoices', jobs: true, placeWith: 'orders' });

      const units = unitsOf(tree, 'orders-service');
      expect(units['orders'].hosts).toEqual(['orders/*', 'invoices/*']);
      expect(units['orders'].workers).toEqual(['orders', 'invoices']);
      expect(units['core'].workers).toBeUndefined();
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
      expect(dto).toContain("import { IsText, PageQuery, type Page } from '@strata/platform/ports';");
      expect(dto).not.toMatch(/IsString|MinLength|MaxLength/);
      expect(dto).toMatch(/@IsInt\(\)\s+@Min\(-2147483648\)\s+@Max\(2147483647\)\s+seats!: number;/);
      expect(dto).toMatch(/@IsBoolean\(\)\s+open!: boolean;/);
      expect(dto).toMatch(/@IsOptional\(\)\s+@IsISO8601\(\{ strict: true \}\)\s+startsAt\?: string \| null;/);
      expect(dto).toMatch(/@IsUUID\(\)\s+venueId!: string;/);

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
      ['an unknown --placeWith', { name: 'invoices', placeWith: 'billing' }, /--placeWith "billing" is not a module of this workspace/],
      ['a singular it cannot derive', { name: 'staff' }, /Cannot derive the singular of "staff": pass it with --entity/],
      ['an ambiguous plural', { name: 'statuses' }, /Cannot derive the singular of "statuses"/],
      ['an invalid --entity', { name: 'invoices', entity: 'in voice' }, /^Invalid --entity/],
      ['a field without a type', { name: 'invoices', fields: 'number' }, /^Invalid field "number"/],
      ['an unknown field type', { name: 'invoices', fields: 'amount:money' }, /unknown type "money"/],
      ['a field name not in camelCase', { name: 'invoices', fields: 'Amount:int' }, /^Invalid field "Amount:int"/],
      [
        'a duplicate field',
        { name: 'invoices', fields: 'amount:int,amount:string' },
        /the field "amount" \(column amount\) is given twice/,
      ],
      ['a reserved field: id', { name: 'invoices', fields: 'id:uuid' }, /are generated/],
      ['a reserved field: createdAt', { name: 'invoices', fields: 'createdAt:datetime' }, /are generated/],
      ['a reserved field with jobs: processedAt', { name: 'invoices', fields: 'processedAt:datetime', jobs: true }, /are generated/],
      ['a PostgreSQL reserved column', { name: 'invoices', fields: 'order:int' }, /"order" is a reserved word in PostgreSQL/],
      ['a JavaScript reserved field', { name: 'invoices', fields: 'delete:boolean' }, /"delete" is a reserved word in JavaScript/],
      ['a unique boolean', { name: 'invoices', fields: 'paid:boolean:unique' }, /a boolean cannot be unique/],
      ['an empty field', { name: 'invoices', fields: 'amount:int,' }, /^Invalid --fields/],
    ])('%s', async (_, options, message) => {
      const before = contentsOf(tree);

      const failure = run(options);

      await expect(failure).rejects.toThrow(message);
      await failure.catch((error: Error) => expect(error.message).not.toContain('\n'));
      expect(contentsOf(tree)).toEqual(before);
    });

    it('an alias or schema that exists already, even without the folder', async () => {
      tree.write('migrations/src/other/1-create-other.ts', 'await queryRunner.query(`CREATE SCHEMA invoices`);');
      const before = contentsOf(tree);

      await expect(run({ name: 'invoices' })).rejects.toThrow('a migration already creates the PostgreSQL schema "invoices"');
      expect(contentsOf(tree)).toEqual(before);
    });
  });
});
