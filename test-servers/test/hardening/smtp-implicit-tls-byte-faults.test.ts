import { describeSmtpByteFaults } from './smtp-byte-faults.js';

describeSmtpByteFaults('tls');
