import type { Tree } from '@nx/devkit';
import * as ts from 'typescript';
import type { NormalizedModule } from './names';

/**
 * Refuses a module whose generated code would not compile for a clash of names: in each TypeScript
 * file the templates wrote, the names its imports and its classes, functions, enums and constants
 * introduce must be distinct. Names are made from the module's and the entity's, so one can meet a
 * name a template imports: the entity `inject` made the port `InjectRepository`, which the TypeORM
 * repository also imports from `@nestjs/typeorm` (two errors in `tsc`, none from the generator).
 * Reads the files the templates wrote (`created`), before any registration, and takes them back when it refuses.
 */
export function refuseNameClashes(tree: Tree, module: NormalizedModule, created: readonly string[]): void {
  for (const path of created.filter((file) => file.endsWith('.ts'))) {
    const source = ts.createSourceFile(path, tree.read(path, 'utf-8') ?? '', ts.ScriptTarget.Latest);
    const seen = new Set<string>();
    for (const name of namesIntroduced(source)) {
      if (seen.has(name)) {
        // The tree as it was: the files written are taken back (nothing else has been written yet).
        for (const file of created) tree.delete(file);
        throw new Error(
          `Cannot create the module "${module.name.fileName}": its generated ${path} would have two things named ${name}, ` +
            `one made from the entity's name "${module.entity.fileName}"; choose another --entity`,
        );
      }
      seen.add(name);
    }
  }
}

/** The names a file's top-level imports and value declarations introduce (types may share a value's name). */
function namesIntroduced(source: ts.SourceFile): string[] {
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name) names.push(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.push(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) names.push(...bindings.elements.map((element) => element.name.text));
    } else if (
      (ts.isClassDeclaration(statement) || ts.isFunctionDeclaration(statement) || ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      names.push(statement.name.text);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name)) names.push(declaration.name.text);
    }
  }
  return names;
}
