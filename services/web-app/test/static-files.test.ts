/** resolvePublicFile: what a request path may name under public/, against traversal, hidden files and symlinks. */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etagOf, resolvePublicFile, type PublicFile } from '../src/static-files';

describe('resolvePublicFile', () => {
  let dir: string;
  let root: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portico-web-app-'));
    root = join(dir, 'public');
    mkdirSync(join(root, 'nested'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html>');
    writeFileSync(join(root, 'app.js'), 'export {};');
    writeFileSync(join(root, 'nested', 'index.html'), 'nested');
    writeFileSync(join(root, 'a file.txt'), 'spaced');
    writeFileSync(join(root, 'data.bin'), 'bytes');
    writeFileSync(join(root, '.env'), 'SECRET=1');
    writeFileSync(join(dir, 'secret.txt'), 'outside');
    symlinkSync(join(dir, 'secret.txt'), join(root, 'escape.txt'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('maps / and a folder path to its index.html, with the HTML content type', async () => {
    const top = (await resolvePublicFile(root, '/')) as PublicFile;
    expect(top.path).to.equal(join(root, 'index.html'));
    expect(top.contentType).to.equal('text/html; charset=utf-8');
    expect(((await resolvePublicFile(root, '/nested/')) as PublicFile).path).to.equal(join(root, 'nested', 'index.html'));
  });

  it('gives JavaScript modules text/javascript, decodes %20, and sends unknown kinds as octet-stream', async () => {
    expect(((await resolvePublicFile(root, '/app.js')) as PublicFile).contentType).to.equal('text/javascript; charset=utf-8');
    expect(((await resolvePublicFile(root, '/a%20file.txt')) as PublicFile).path).to.equal(join(root, 'a file.txt'));
    expect(((await resolvePublicFile(root, '/data.bin')) as PublicFile).contentType).to.equal('application/octet-stream');
  });

  it('refuses dot segments, encoded or not, with 400 and never resolves them', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/nested/../../secret.txt', '/./index.html', '/%2E%2E/secret.txt']) {
      expect(await resolvePublicFile(root, path), path).to.deep.include({ status: 400 });
    }
  });

  it('refuses encoded slashes and backslashes, NUL and bad percent-encoding with 400', async () => {
    for (const path of ['/..%2fsecret.txt', '/..%5Csecret.txt', '/..\\secret.txt', '/index.html%00.js', '/%E0%A4%A', 'index.html']) {
      expect(await resolvePublicFile(root, path), path).to.deep.include({ status: 400 });
    }
  });

  it('answers 404 for hidden files, folders without an index, missing files and symlinks that lead outside', async () => {
    for (const path of ['/.env', '/nested', '/missing.js', '/escape.txt']) {
      expect(await resolvePublicFile(root, path), path).to.deep.include({ status: 404 });
    }
  });

  it('derives a weak ETag that changes with the file', async () => {
    const file = (await resolvePublicFile(root, '/app.js')) as PublicFile;
    expect(etagOf(file)).to.match(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    expect(etagOf({ ...file, size: file.size + 1 })).not.to.equal(etagOf(file));
  });
});
