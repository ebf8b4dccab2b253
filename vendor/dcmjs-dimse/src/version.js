module.exports = '0.3.3';
