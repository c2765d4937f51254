import { describePop3ByteFaults } from './pop3-byte-faults.js';

describePop3ByteFaults('APOP + RETR');
