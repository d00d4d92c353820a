/** Format-preserving edits of manifests, images and workflows, and their all-or-nothing application. */
export { applyEdits, type AppliedFile, type ApplyOptions } from './apply.ts';
export { editAction } from './action-edit.ts';
export { writeFileAtomic } from './atomic-write.ts';
export { ConstraintRewriteError, exactPin, rewriteConstraint, type RangeStrategy, type RewriteSyntax } from './constraint-rewrite.ts';
export { editDependency } from './dependency-edit.ts';
export { EditError } from './edit-error.ts';
export { editImage, type ImageChange } from './image-edit.ts';
export { splitRawRef } from '../formats/image-ref.ts';
export { snapshot, Transaction } from './transaction.ts';
