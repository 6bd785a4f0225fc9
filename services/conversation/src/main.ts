import 'reflect-metadata';
import { loadConfig } from '@parley/config';
import { conversationConfig } from './conversation.config.js';
import { startConversation } from './conversation.app.js';

await startConversation(loadConfig(conversationConfig));
