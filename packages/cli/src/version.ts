/** Name and version written into PNG metadata. Kept in step with package.json by changesets. */
export const SDK_VERSION = 'kandinsky-ts 0.0.0';
