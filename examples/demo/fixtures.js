// Small, real package files for the demo feed server, built in memory at start (no network, no
// dependencies): a NuGet .nupkg (a zip holding a .nuspec), an npm .tgz (a gzipped tar holding
// package/package.json) and a universal package .upack (a zip holding upack.json). The bytes are the same
// on every run (fixed timestamps), so a download can be compared byte for byte.
'use strict';
const { gzipSync } = require('node:zlib');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffer) {
  let crc = 0xffffffff;
  for (const byte of buffer) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// 2024-05-01 12:00:00 in MS-DOS date/time form.
const DOS_TIME = (12 << 11) | (0 << 5) | 0;
const DOS_DATE = ((2024 - 1980) << 9) | (5 << 5) | 1;

/** A zip archive of `files` ({ name: string|Buffer }), stored without compression. */
function zip(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const fileName = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** A gzipped ustar archive of `files` ({ path: string }). */
function tgz(files) {
  const blocks = [];
  for (const [path, content] of Object.entries(files)) {
    const data = Buffer.from(content, 'utf8');
    const header = Buffer.alloc(512);
    header.write(path, 0, 100, 'utf8');
    header.write('0000644\0', 100, 'ascii'); // mode
    header.write('0000000\0', 108, 'ascii'); // uid
    header.write('0000000\0', 116, 'ascii'); // gid
    header.write(data.length.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
    header.write(Math.floor(Date.UTC(2024, 4, 1, 12) / 1000).toString(8).padStart(11, '0') + '\0', 136, 'ascii');
    header.write('        ', 148, 'ascii'); // checksum placeholder
    header.write('0', 156, 'ascii'); // regular file
    header.write('ustar\0' + '00', 257, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks), { level: 9 });
}

/** The demo's packages: where each is served, and its bytes. */
function buildFixtures() {
  const nuspec = `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>Inedo.Demo</id>
    <version>1.2.3</version>
    <authors>package-deployments</authors>
    <description>A demo package for the package-deployments feed server.</description>
  </metadata>
</package>
`;
  const packageJson = JSON.stringify({ name: '@demo/left-pad', version: '1.0.0', description: 'A demo npm package.', main: 'index.js', license: 'MIT' }, null, 2) + '\n';
  const upackJson = JSON.stringify({ group: 'demo/tools', name: 'deploy-kit', version: '5.3.38', title: 'Deploy kit (demo)' }, null, 2) + '\n';
  const pkgInfo = 'Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\nSummary: A demo sdist for the package-deployments feed server.\n';
  return {
    pypi: {
      name: 'requests', version: '2.28.1', file: 'requests-2.28.1.tar.gz', type: 'application/gzip',
      bytes: tgz({ 'requests-2.28.1/PKG-INFO': pkgInfo, 'requests-2.28.1/setup.py': 'from setuptools import setup\nsetup()\n' }),
    },
    nuget: {
      id: 'Inedo.Demo', version: '1.2.3', type: 'application/octet-stream',
      bytes: zip({ 'Inedo.Demo.nuspec': nuspec, 'lib/netstandard2.0/_._': '' }),
    },
    npm: {
      scope: '@demo', name: 'left-pad', version: '1.0.0', type: 'application/octet-stream',
      bytes: tgz({ 'package/package.json': packageJson, 'package/index.js': "module.exports = (s, n) => String(s).padStart(n);\n" }),
    },
    upack: {
      group: 'demo/tools', name: 'deploy-kit', version: '5.3.38', type: 'application/zip',
      bytes: zip({ 'upack.json': upackJson, 'package/README.txt': 'Deploy kit (demo).\n' }),
    },
  };
}

module.exports = { buildFixtures, zip, tgz };
