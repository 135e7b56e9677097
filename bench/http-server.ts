import http from 'node:http';
import express from 'express';
import { createLogger } from '../app/logger';
import { loadConfig } from '../app/config';
import { createSequelize } from '../app/db/connection';
import { initModels, User } from '../app/models';
import { startServer } from '../app/server';

/**
 * The two servers bench/http.ts compares: `starter` is the real app; `bare` is plain Express
 * doing the same work (same JSON, same Sequelize query) with none of the starter's middleware.
 */
async function startBare(): Promise<void> {
  const config = loadConfig();
  const sequelize = createSequelize(config.databaseUrl ?? '', { poolMax: config.databasePoolMax });
  initModels(sequelize);
  const app = express();
  app.get('/health/live', (_req, res) => {
    res.json({ status: 'ok', version: config.version.package, commit: null, pid: process.pid });
  });
  app.get('/users/:id', async (req, res) => {
    const user = await User.findByPk(req.params.id);
    if (!user) res.status(404).json({ error: 'not found' });
    else res.json(user);
  });
  const server = http.createServer(app);
  server.keepAliveTimeout = config.shutdown.keepAliveTimeoutMs;
  server.listen(config.port, '127.0.0.1', () => process.send?.('ready'));
}

async function startStarter(): Promise<void> {
  const config = loadConfig();
  await startServer(config, createLogger(config));
  process.send?.('ready');
}

void (process.argv[2] === 'bare' ? startBare() : startStarter());
