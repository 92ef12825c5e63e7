export { moduleGenerator } from './generators/module/generator';
export { extractGenerator } from './generators/extract/generator';
export { mergeGenerator } from './generators/merge/generator';
