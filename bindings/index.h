// Embind registrations for the index and the journal (class Index). Called once from
// the module's single EMSCRIPTEN_BINDINGS block in bindings/core.cpp.
//
// Ownership: the hub worker owns exactly one Index (js/hub-index.js) and calls
// `.delete()` on it when the worker shuts down (HubIndex.close()). Every other value
// crossing the boundary is a plain JS object, array or Uint8Array copy: nothing else
// needs `.delete()`.
#pragma once

void cos_bind_index();
