/** The parts of an OpenAPI 3 document the edge merges; everything else is kept from the first document. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; description?: string; version: string };
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  tags?: { name: string }[];
  [other: string]: unknown;
}

/**
 * One OpenAPI document for the whole public API, from the documents of the units serving it:
 * every path (the operations of a path that two units share, e.g. `GET` here and `POST` there,
 * side by side), every component (the first unit's when two name the same one: both come from
 * the same DTO class), every tag; `info` is the application's.
 */
export function mergeOpenApiDocuments(info: OpenApiDocument['info'], documents: OpenApiDocument[]): OpenApiDocument {
  const merged: OpenApiDocument = { ...(documents[0] ?? { openapi: '3.0.0' }), info, paths: {}, components: {}, tags: [] };
  const paths = merged.paths as NonNullable<OpenApiDocument['paths']>;
  const components = merged.components as NonNullable<OpenApiDocument['components']>;
  const tags = merged.tags as NonNullable<OpenApiDocument['tags']>;
  for (const document of documents) {
    for (const [path, item] of Object.entries(document.paths ?? {})) paths[path] = { ...item, ...paths[path] };
    for (const [section, entries] of Object.entries(document.components ?? {}))
      components[section] = { ...entries, ...components[section] };
    for (const tag of document.tags ?? []) if (!tags.some((known) => known.name === tag.name)) tags.push(tag);
  }
  return merged;
}
