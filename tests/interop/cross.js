#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// cross.js - the JS side of the cross-client test (run-cross.sh): Keeper's official JS SDK
// and ksmctl sharing one local server, each reading the other's client config.
//
//   cross.js bind CONFIG TOKEN        bind with a one-time token (host and server key from
//                                     $SERVER_JSON), print the dump of every record
//   cross.js dump CONFIG              load CONFIG as it is (localConfigStorage, no options
//                                     beyond the storage) and print the dump
//   cross.js stage CONFIG UID FIELD VALUE
//                                     updateSecret(..., 'rotation') with FIELD (type or
//                                     label, fields then custom) value[0] = VALUE; not committed
//   cross.js complete CONFIG UID commit|rollback
//                                     completeTransaction
//   cross.js create CONFIG FOLDER_UID RECORD_JSON
//                                     createSecret in FOLDER_UID, print the new UID
//   cross.js upload CONFIG UID NAME TEXT
//                                     uploadFile NAME (content TEXT) to record UID,
//                                     print the file UID
//   cross.js notation CONFIG NOTATION getNotationResults, one value per line
//   cross.js compare DUMP UID KSMCTL_GET_JSON
//                                     compare one record of a dump with the output of
//                                     `ksmctl secret get UID --json --unmask`
//   cross.js compare-list DUMP KSMCTL_LIST_JSON
//                                     compare the dump with `ksmctl secret list --json`
//
// Needs NODE_EXTRA_CA_CERTS=<state>/ca.pem for the commands that talk to the server.
// Exits 0 on success, 1 on a mismatch or error (the reason is on stderr).
'use strict'

const fs = require('fs')
const assert = require('assert')
const ksm = require('@keeper-security/secrets-manager-core')

function dump (secrets) {
  return {
    records: secrets.records.map(r => ({
      uid: r.recordUid,
      title: r.data.title,
      type: r.data.type,
      revision: r.revision,
      folderUid: r.folderUid,
      innerFolderUid: r.innerFolderUid,
      notes: r.data.notes || '',
      fields: r.data.fields || [],
      custom: r.data.custom || [],
      files: (r.files || []).map(f => ({ uid: f.fileUid, name: f.data.name, size: f.data.size }))
    }))
  }
}

function findField (rec, name) {
  for (const sect of ['fields', 'custom']) {
    const f = (rec.data[sect] || []).find(x => x.type === name || x.label === name)
    if (f) return f
  }
  throw new Error(`record ${rec.recordUid} has no field ${name}`)
}

async function fresh (opts, uid) {
  const s = await ksm.getSecrets(opts, [uid])
  assert.strictEqual(s.records.length, 1, `getSecrets([${uid}]) returned ${s.records.length}`)
  return s.records[0]
}

// ksmctl --json keeps each value's JSON type (strings, objects, numbers,
// booleans), so it must equal the SDK's parsed value exactly.
function sameValue (jsv, kv, where) {
  assert.deepStrictEqual(kv, jsv, `${where}: ksmctl ${JSON.stringify(kv)} != JS ${JSON.stringify(jsv)}`)
}

function sameFields (jsf, kf, where) {
  assert.strictEqual(kf.length, jsf.length, `${where}: ${kf.length} fields from ksmctl, ${jsf.length} from JS`)
  jsf.forEach((f, i) => {
    const w = `${where}[${i}] ${f.type}${f.label ? ' (' + f.label + ')' : ''}`
    assert.strictEqual(kf[i].type, f.type, `${w}: type ${kf[i].type}`)
    assert.strictEqual(kf[i].label, f.label, `${w}: label ${kf[i].label}`)
    const jv = f.value || []
    assert.strictEqual(kf[i].value.length, jv.length, `${w}: ${kf[i].value.length} values from ksmctl, ${jv.length} from JS`)
    jv.forEach((v, j) => sameValue(v, kf[i].value[j], `${w} value[${j}]`))
  })
}

function compareRecord (js, k) {
  const w = `record ${js.uid} "${js.title}"`
  for (const key of ['uid', 'title', 'type', 'revision', 'notes']) {
    assert.strictEqual(k[key], js[key], `${w}: ${key} ksmctl ${JSON.stringify(k[key])} != JS ${JSON.stringify(js[key])}`)
  }
  assert.strictEqual(k.folder, js.folderUid, `${w}: folder ksmctl ${k.folder} != JS ${js.folderUid}`)
  sameFields(js.fields, k.fields, `${w} fields`)
  sameFields(js.custom, k.custom, `${w} custom`)
  const names = fs => fs.map(f => `${f.uid}:${f.name}:${f.size}`).sort()
  assert.deepStrictEqual(names(k.files), names(js.files), `${w}: files`)
}

function compareList (jsd, list) {
  assert.strictEqual(list.length, jsd.records.length, `ksmctl lists ${list.length} records, JS ${jsd.records.length}`)
  const key = r => r.uid
  const ks = [...list].sort((a, b) => key(a) < key(b) ? -1 : 1)
  const js = [...jsd.records].sort((a, b) => key(a) < key(b) ? -1 : 1)
  js.forEach((r, i) => {
    const k = ks[i]
    const got = { uid: k.uid, title: k.title, type: k.type, revision: k.revision, folder: k.folder }
    const want = { uid: r.uid, title: r.title, type: r.type, revision: r.revision, folder: r.folderUid }
    assert.deepStrictEqual(got, want, `list entry ${r.uid}`)
  })
}

const readJson = p => JSON.parse(fs.readFileSync(p, 'utf8'))

async function main (argv) {
  const [cmd, ...a] = argv
  switch (cmd) {
    case 'bind': {
      const [config, token] = a
      const server = readJson(process.env.SERVER_JSON)
      const storage = ksm.localConfigStorage(config)
      await ksm.initializeStorage(storage, token, server.hostname)
      const opts = {
        storage,
        serverPublicKey: server.server_public_key,
        serverPublicKeyId: server.server_public_key_id
      }
      process.stdout.write(JSON.stringify(dump(await ksm.getSecrets(opts))) + '\n')
      return
    }
    case 'dump': {
      const opts = { storage: ksm.localConfigStorage(a[0]) }
      process.stdout.write(JSON.stringify(dump(await ksm.getSecrets(opts))) + '\n')
      return
    }
    case 'stage': {
      const [config, uid, field, value] = a
      const opts = { storage: ksm.localConfigStorage(config) }
      const rec = await fresh(opts, uid)
      findField(rec, field).value[0] = value
      await ksm.updateSecret(opts, rec, 'rotation')
      return
    }
    case 'complete': {
      const [config, uid, how] = a
      if (how !== 'commit' && how !== 'rollback') throw new Error('commit or rollback')
      const opts = { storage: ksm.localConfigStorage(config) }
      await ksm.completeTransaction(opts, uid, how === 'rollback')
      return
    }
    case 'create': {
      const [config, folderUid, json] = a
      const opts = { storage: ksm.localConfigStorage(config) }
      await ksm.getSecrets(opts) // createSecret needs the folder key in the SDK's key cache
      process.stdout.write(await ksm.createSecret(opts, folderUid, JSON.parse(json)) + '\n')
      return
    }
    case 'upload': {
      const [config, uid, name, text] = a
      const opts = { storage: ksm.localConfigStorage(config) }
      const rec = await fresh(opts, uid)
      const fileUid = await ksm.uploadFile(opts, rec, {
        name, title: name, type: 'text/plain', data: new Uint8Array(Buffer.from(text))
      })
      process.stdout.write(fileUid + '\n')
      return
    }
    case 'notation': {
      const [config, notation] = a
      const opts = { storage: ksm.localConfigStorage(config) }
      for (const v of await ksm.getNotationResults(opts, notation)) {
        process.stdout.write((typeof v === 'string' ? v : JSON.stringify(v)) + '\n')
      }
      return
    }
    case 'compare': {
      const [dumpFile, uid, kfile] = a
      const js = readJson(dumpFile).records.filter(r => r.uid === uid)
      assert.strictEqual(js.length, 1, `JS dump has ${js.length} records ${uid}`)
      compareRecord(js[0], readJson(kfile))
      return
    }
    case 'compare-list': {
      const [dumpFile, kfile] = a
      compareList(readJson(dumpFile), readJson(kfile))
      return
    }
    default:
      throw new Error(`unknown command ${cmd}`)
  }
}

// Exit explicitly: the SDK's uploadFile never reads the upload response, so its socket would
// keep Node alive until the server drops the idle keep-alive connection (60 s here).
main(process.argv.slice(2)).then(() => process.exit(0), e => {
  process.stderr.write(`cross.js: ${e && e.message ? e.message : e}\n`)
  process.exit(1)
})
