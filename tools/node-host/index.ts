export { createNodeBackend, type NodeBackendOptions } from './backend.ts';
export { loadImageFile, decodeImageBytes, sniffImageFormat, ImageFileError, MAX_MEGAPIXELS } from './image-file.ts';
export { loadBlazeFaceModels, DEFAULT_BLAZEFACE_DIR, REPO_ROOT } from './models.ts';
export { folderPackageSource, loadFaceptorFolder } from './model-package.ts';
