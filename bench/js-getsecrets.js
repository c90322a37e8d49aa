#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// js-getsecrets.js CONFIG - the JS side of bench/run-ksmctl-vs-js.sh: one process that loads
// a bound client config with Keeper's official SDK (tests/interop/node_modules), calls
// getSecrets once and prints the same listing as `ksmctl secret list --json` (uid, title,
// type, revision, folder).
// js-getsecrets.js --bind TOKEN CONFIG - bind first: host and server key from $SERVER_JSON
// (the local server's server.json); prints nothing.
// Needs NODE_EXTRA_CA_CERTS=<the local server's ca.pem>.
'use strict'
const fs = require('fs')
const path = require('path')
const ksm = require(path.join(__dirname, '../tests/interop/node_modules/@keeper-security/secrets-manager-core'))

async function main (argv) {
  if (argv[0] === '--bind') {
    const [, token, config] = argv
    const server = JSON.parse(fs.readFileSync(process.env.SERVER_JSON, 'utf8'))
    const storage = ksm.localConfigStorage(config)
    await ksm.initializeStorage(storage, token, server.hostname)
    await ksm.getSecrets({
      storage,
      serverPublicKey: server.server_public_key,
      serverPublicKeyId: server.server_public_key_id
    })
    return
  }
  const s = await ksm.getSecrets({ storage: ksm.localConfigStorage(argv[0]) })
  const list = s.records.map(r => {
    const e = { uid: r.recordUid, title: r.data.title, type: r.data.type, revision: r.revision }
    if (r.folderUid) e.folder = r.folderUid
    return e
  })
  process.stdout.write(JSON.stringify(list) + '\n')
}

main(process.argv.slice(2)).catch(e => {
  process.stderr.write(`js-getsecrets: ${e && e.message ? e.message : e}\n`)
  process.exit(1)
})
