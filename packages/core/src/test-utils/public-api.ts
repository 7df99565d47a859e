/**
 * The public surface of a package, read from its barrel (`src/index.ts`): every exported name, types
 * marked `type `. Barrels list their exports by name, so the file's syntax is the surface; `export *`
 * is refused (it would make the surface whatever the modules behind it happen to export).
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';

/**
 * Sorted export names of a barrel, type-only ones as `type Name`.
 *
 * @example
 * ```ts
 * expect(publicSurface(new URL('./index.ts', import.meta.url))).toEqual(['createTagger', 'type Tagger']);
 * ```
 */
export function publicSurface(barrel: URL): string[] {
  const source = ts.createSourceFile(barrel.pathname, readFileSync(barrel, 'utf8'), ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (!clause || !ts.isNamedExports(clause)) {
        throw new Error(`${barrel.pathname}: \`export *\` is not allowed in a barrel; list the exports by name`);
      }
      for (const element of clause.elements) {
        const typeOnly = statement.isTypeOnly || element.isTypeOnly;
        names.push(`${typeOnly ? 'type ' : ''}${element.name.text}`);
      }
    } else if (hasExportModifier(statement)) {
      throw new Error(`${barrel.pathname}: declare exports in their modules; the barrel only re-exports`);
    }
  }
  return names.sort((a, b) => bare(a).localeCompare(bare(b)) || a.localeCompare(b));
}

/** The value exports of a surface (what `Object.keys(await import(barrel))` must equal). */
export function valueNames(surface: readonly string[]): string[] {
  return surface.filter((name) => !name.startsWith('type ')).sort();
}

function bare(name: string): string {
  return name.replace(/^type /, '');
}

function hasExportModifier(statement: ts.Statement): boolean {
  const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined;
  return modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
}
