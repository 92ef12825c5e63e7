/** The options of `nx g @strata/generators:module`, as `schema.json` describes them. */
export interface ModuleGeneratorSchema {
  name: string;
  fields?: string;
  jobs?: boolean;
  entity?: string;
  placeWith?: string;
}
