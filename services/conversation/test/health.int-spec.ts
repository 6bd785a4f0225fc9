import { describeServiceHealth } from '@parley/testing';
import { startConversationAlone } from './conversation.harness.js';

describeServiceHealth({ service: 'conversation', start: () => startConversationAlone() });
