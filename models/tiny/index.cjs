'use strict';
// The CommonJS twin of index.js, so that `require('@kandinsky/tiny-models')` works too.
const { join } = require('node:path');

/** Folder holding the tiny model folders. */
const tinyModelsDirectory = __dirname;

/** Absolute path of one tiny model folder, e.g. `tinyModelPath('kandinsky3-tiny')`. */
function tinyModelPath(name) {
  return join(tinyModelsDirectory, name);
}

module.exports = { tinyModelsDirectory, tinyModelPath };
