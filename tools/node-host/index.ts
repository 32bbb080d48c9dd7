export { createNodeBackend, type NodeBackendOptions } from './backend.ts';
export {
  loadImageFile,
  loadAnalysisImage,
  decodeOnOneThread,
  decodeImageBytes,
  sniffImageFormat,
  ImageFileError,
  MAX_MEGAPIXELS,
  type AnalysisImage,
} from './image-file.ts';
export { loadBlazeFaceModels, DEFAULT_BLAZEFACE_DIR, REPO_ROOT } from './models.ts';
export { folderPackageSource, loadFaceptorFolder } from './model-package.ts';
export { readRegularFile, InputFileError } from './regular-file.ts';
