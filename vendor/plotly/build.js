// Bundles entry.js as plotly.js's own build does (esbuild-config.js of plotly.js 4.1.1, without
// the GLSL and CSS plugins that only WebGL and map-tile traces need: the MapLibre style sheet
// plotly.js requires is loaded empty, as no `map` subplot is registered), minifies it and writes it
// brotli-compressed (quality 11) where the web app reads it.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const version = require('plotly.js/package.json').version;
const out = path.join(__dirname, '..', '..', 'src', 'clusterhub', 'web', 'bundles',
    `plotly-clusterhub-${version}.min.js.br`);

const result = esbuild.buildSync({
    entryPoints: [path.join(__dirname, 'entry.js')],
    format: 'iife', globalName: 'Plotly', bundle: true, minify: true, sourcemap: false,
    alias: {regl: '@plotly/regl', stream: 'stream-browserify'},
    define: {global: 'window', 'define.amd': 'false'}, target: 'es2016', loader: {'.css': 'empty'},
    banner: {js: `/*! plotly.js v${version} (clusterhub bundle: scatter, bar, choropleth, ` +
        'scattergeo) | Copyright 2012-2026, Plotly, Inc. | MIT License */'},
    write: false, logLevel: 'warning',
});
const js = Buffer.from(result.outputFiles[0].contents);
const packed = zlib.brotliCompressSync(js, {params: {[zlib.constants.BROTLI_PARAM_QUALITY]: 11}});
fs.writeFileSync(out, packed);
const sha = require('crypto').createHash('sha256').update(js).digest('hex');
console.log(`${out}: ${js.length} bytes, ${packed.length} compressed, sha256 ${sha}`);
